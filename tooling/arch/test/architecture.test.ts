import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The dependency rules of docs/ARCHITECTURE.md, as a check that fails:
 *   apps → packages → protocol; no app imports another app; packages never import apps;
 *   the protocol depends on zod only, the engine and the tracker core on the protocol only;
 *   platform-free packages touch no window/navigator/process/document and no Node builtins.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

type Kind = 'tooling' | 'package' | 'app' | 'harness';
interface Workspace {
  dir: string;
  name: string;
  kind: Kind;
  runtimeDeps: string[];
  allDeps: string[];
}

function readWorkspaces(): Workspace[] {
  const found: Workspace[] = [];
  const add = (dir: string, kind: Kind) => {
    const manifestPath = join(dir, 'package.json');
    if (!existsSync(manifestPath)) return;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<
      string,
      Record<string, string> | string
    >;
    const deps = (field: string) =>
      Object.keys((manifest[field] as Record<string, string> | undefined) ?? {});
    found.push({
      dir,
      name: manifest.name as string,
      kind,
      runtimeDeps: [
        ...deps('dependencies'),
        ...deps('peerDependencies'),
        ...deps('optionalDependencies'),
      ],
      allDeps: [
        ...deps('dependencies'),
        ...deps('devDependencies'),
        ...deps('peerDependencies'),
        ...deps('optionalDependencies'),
      ],
    });
  };
  for (const [folder, kind] of [
    ['tooling', 'tooling'],
    ['packages', 'package'],
    ['apps', 'app'],
  ] as const) {
    const base = join(root, folder);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base)) add(join(base, entry), kind);
  }
  add(join(root, 'e2e'), 'harness');
  add(join(root, 'bench'), 'harness');
  return found;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(entry) && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const workspaces = readWorkspaces();
const byName = new Map(workspaces.map((w) => [w.name, w]));
const allowed: Record<Kind, Kind[]> = {
  tooling: ['tooling'],
  package: ['tooling', 'package'],
  app: ['tooling', 'package'],
  harness: ['tooling', 'package', 'app', 'harness'],
};
const platformFree = new Set([
  '@coral-cdn/protocol',
  '@coral-cdn/p2p-engine',
  '@coral-cdn/tracker-core',
]);
const runtimeAllowList: Record<string, string[]> = {
  '@coral-cdn/protocol': ['zod'],
  '@coral-cdn/p2p-engine': ['@coral-cdn/protocol'],
  '@coral-cdn/tracker-core': ['@coral-cdn/protocol'],
  // A Node package (its CLI and crypto use Node builtins): the real engine and the tracker's
  // own rules, never the tracker app.
  '@coral-cdn/swarm-sim': [
    '@coral-cdn/p2p-engine',
    '@coral-cdn/protocol',
    '@coral-cdn/tracker-core',
  ],
};

describe('architecture', () => {
  it('finds the workspaces', () => {
    expect(byName.has('@coral-cdn/protocol')).toBe(true);
    expect(workspaces.length).toBeGreaterThanOrEqual(4);
  });

  it.each(workspaces.map((w) => [w.name, w] as const))(
    '%s depends only in the allowed direction',
    (_name, workspace) => {
      for (const dep of workspace.allDeps) {
        const target = byName.get(dep);
        if (!target) continue;
        expect(
          allowed[workspace.kind],
          `${workspace.name} (${workspace.kind}) → ${dep} (${target.kind})`,
        ).toContain(target.kind);
      }
    },
  );

  it.each(Object.entries(runtimeAllowList).filter(([name]) => byName.has(name)))(
    '%s has only its allowed runtime dependencies',
    (name, allowList) => {
      for (const dep of byName.get(name)!.runtimeDeps)
        expect(allowList, `${name} → ${dep}`).toContain(dep);
    },
  );

  it.each(workspaces.map((w) => [w.name, w] as const))(
    '%s: relative imports stay inside the package',
    (_name, workspace) => {
      for (const file of sourceFiles(workspace.dir)) {
        const text = readFileSync(file, 'utf8');
        for (const match of text.matchAll(
          /(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g,
        )) {
          const target = resolve(dirname(file), match[1]!);
          const rel = relative(workspace.dir, target);
          expect(
            rel.startsWith('..'),
            `${relative(root, file)} imports ${match[1]} outside its package`,
          ).toBe(false);
        }
      }
    },
  );

  it.each(workspaces.filter((w) => platformFree.has(w.name)).map((w) => [w.name, w] as const))(
    '%s source is platform-free',
    (_name, workspace) => {
      const files = sourceFiles(join(workspace.dir, 'src'));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const code = readFileSync(file, 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/\/\/.*$/gm, '');
        const where = relative(root, file);
        expect(code, `${where} imports a Node builtin`).not.toMatch(/from\s+['"]node:/);
        expect(code, `${where} touches a platform global`).not.toMatch(
          /(?<![.\w$])(window|document|navigator|process|Buffer|globalThis)\s*[.[]/,
        );
      }
    },
  );
});
