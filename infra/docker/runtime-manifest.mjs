// Docker build helper: reduce a `turbo prune --docker` tree to what an app needs at run time,
// so that `npm install --omit=dev` there brings production dependencies only. turbo keeps
// the workspaces an app needs to build (eslint config, tsconfig, test support), and npm
// installs the dependencies of every workspace it sees, dev tooling included.
//   node runtime-manifest.mjs apps/origin packages/protocol packages/server-kit
import { readFileSync, writeFileSync } from 'node:fs';

const keep = process.argv.slice(2);
if (keep.length === 0) {
  process.stderr.write('usage: runtime-manifest.mjs <workspace folder>...\n');
  process.exit(64);
}
const edit = (path, change) => {
  const manifest = JSON.parse(readFileSync(path, 'utf8'));
  change(manifest);
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
};
edit('package.json', (root) => {
  root.workspaces = keep;
  delete root.devDependencies;
});
// Dev dependencies name workspaces that are gone; npm would look them up on the registry.
for (const folder of keep)
  edit(`${folder}/package.json`, (manifest) => delete manifest.devDependencies);
