// Bundles each example page with esbuild into dist/: <player>.js (+ .css) and the HTML pages.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

export const PLAYERS = ['vidstack', 'media-chrome', 'plyr', 'videojs'];

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });
await build({
  entryPoints: PLAYERS.map((player) => `src/${player}.ts`),
  outdir: 'dist',
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  loader: { '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.eot': 'file', '.ttf': 'file' },
  logLevel: 'warning',
});
// Plyr's icon sprite, served with the page (see src/plyr.ts).
// (plyr's exports map hides dist/plyr.svg from require.resolve; its CSS sits beside it.)
const plyrDir = dirname(createRequire(import.meta.url).resolve('plyr/dist/plyr.css'));
copyFileSync(join(plyrDir, 'plyr.svg'), 'dist/plyr.svg');
for (const file of readdirSync('pages')) copyFileSync(`pages/${file}`, `dist/${file}`);
