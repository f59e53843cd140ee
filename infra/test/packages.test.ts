import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest, repoRoot, type PackageManifest } from './support/paths.js';

/**
 * The publishable packages (every folder under packages/): their manifests, what `npm pack`
 * puts in each tarball, and the tarballs themselves installed into a fresh folder, with no
 * network (internal dependencies as tarballs side by side, third-party ones from npm's cache,
 * which `npm ci` filled), then imported by Node and type-checked by TypeScript.
 */

const packageFolders = readdirSync(join(repoRoot, 'packages'))
  .filter((entry) => existsSync(join(repoRoot, 'packages', entry, 'package.json')))
  .map((entry) => `packages/${entry}`);
const manifests = new Map(packageFolders.map((folder) => [folder, readManifest(folder)]));
const scratch = mkdtempSync(join(tmpdir(), 'coral-pack-'));
const tarballs = join(scratch, 'tarballs');
const consumer = join(scratch, 'consumer');

interface PackResult {
  name: string;
  filename: string;
  files: Array<{ path: string }>;
}

function run(command: string, args: string[], cwd: string, timeoutMs = 120_000) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: timeoutMs });
  if (result.error) throw result.error;
  return result;
}

/** `npm pack` (or `--dry-run`) of one workspace; the JSON npm prints. */
function pack(folder: string, dryRun: boolean): PackResult {
  const result = run(
    'npm',
    ['pack', '--json', ...(dryRun ? ['--dry-run'] : ['--pack-destination', tarballs])],
    join(repoRoot, folder),
  );
  expect(result.status, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as PackResult[])[0]!;
}

function exportTargets(manifest: PackageManifest): string[] {
  const root = manifest.exports?.['.'] as Record<string, string> | string | undefined;
  if (typeof root === 'string') return [root];
  return Object.values(root ?? {});
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.each(packageFolders)('%s', (folder) => {
  const manifest = manifests.get(folder)!;

  it('is publishable: name, version, MIT license, ESM, not private', () => {
    expect(manifest.name).toMatch(/^@coral-cdn\/[a-z0-9-]+$/);
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(manifest.private).not.toBe(true);
    expect(manifest.license).toBe('MIT');
    expect(manifest.type).toBe('module');
  });

  it('names its repository, home page, issue tracker and public access', () => {
    expect(manifest.repository?.url).toMatch(/^git\+https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/);
    expect(manifest.repository?.directory).toBe(folder);
    expect(manifest.homepage).toMatch(/^https:\/\//);
    expect(manifest.bugs?.url).toMatch(/^https:\/\//);
    expect(manifest.publishConfig?.access).toBe('public');
  });

  it('depends on its siblings by a range that publishes as a real version', () => {
    for (const [name, range] of Object.entries(manifest.dependencies ?? {})) {
      if (!name.startsWith('@coral-cdn/')) continue;
      const sibling = [...manifests.values()].find((m) => m.name === name);
      expect(sibling, `${name} is not a published sibling`).toBeDefined();
      // "*" would accept any future major; the range must hold the sibling's own version.
      expect(range, name).toBe(`^${sibling!.version}`);
    }
  });

  it('has an exports map with types first, matching main and types', () => {
    const root = manifest.exports?.['.'] as Record<string, string>;
    expect(root, 'exports["."]').toBeTypeOf('object');
    expect(Object.keys(root)[0], 'the "types" condition must come first').toBe('types');
    expect(root.types).toBe(manifest.types);
    expect(root.default ?? root.import).toBe(manifest.main);
    expect(root.types).toMatch(/^\.\/dist\/.+\.d\.ts$/);
    for (const target of exportTargets(manifest)) {
      expect(existsSync(join(repoRoot, folder, target)), `${target} (build first)`).toBe(true);
    }
  });

  it('has a README and an MIT LICENSE file, listed in files', () => {
    expect(manifest.files).toEqual(expect.arrayContaining(['dist', 'README.md', 'LICENSE']));
    const readme = readFileSync(join(repoRoot, folder, 'README.md'), 'utf8');
    expect(readme).toContain(`# ${manifest.name}`);
    expect(readme).toContain(`npm install ${manifest.name}`);
    // The registry shows the README alone: a relative link there leads nowhere.
    expect(readme.match(/\]\((?!https?:\/\/|#)[^)]*\)/g) ?? [], 'relative links').toEqual([]);
    const license = readFileSync(join(repoRoot, folder, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} .+\n/);
    expect(license).toContain('THE SOFTWARE IS PROVIDED "AS IS"');
    // One holder for the whole project: the root LICENSE's.
    const rootLicense = readFileSync(join(repoRoot, 'LICENSE'), 'utf8');
    expect(license.split('\n')[2]).toBe(rootLicense.split('\n')[2]);
  });

  it('npm pack --dry-run holds the build, README, LICENSE and package.json, nothing else', () => {
    const packed = pack(folder, true).files.map((file) => file.path);
    expect(packed).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE']));
    for (const target of exportTargets(manifest)) expect(packed).toContain(target.slice(2));
    for (const bin of Object.values(manifest.bin ?? {})) expect(packed).toContain(bin.slice(2));
    const extra = packed.filter(
      (path) =>
        !['package.json', 'README.md', 'LICENSE'].includes(path) &&
        !/^dist\/[\w./-]+\.(js|d\.ts|js\.map|d\.ts\.map)$/.test(path) &&
        !/^src\/[\w./-]+\.ts$/.test(path) &&
        !/^bin\/[\w.-]+\.m?js$/.test(path),
    );
    expect(extra, 'unexpected files in the tarball').toEqual([]);
    expect(packed.filter((path) => /(^|\/)(test|tests|__tests__)\/|\.test\./.test(path))).toEqual(
      [],
    );
    expect(packed.some((path) => path.includes('tsbuildinfo'))).toBe(false);
    // Every source map points at files the tarball holds (a debugger opens them).
    for (const map of packed.filter((path) => path.endsWith('.map'))) {
      const { sources } = JSON.parse(readFileSync(join(repoRoot, folder, map), 'utf8')) as {
        sources: string[];
      };
      for (const source of sources) {
        expect(packed, `${map} → ${source}`).toContain(posix.join(posix.dirname(map), source));
      }
    }
  });

  it('npm publish --dry-run accepts it (offline: nothing is sent)', () => {
    const result = run(
      'npm',
      ['publish', '--dry-run', '--json', '--offline', '--ignore-scripts'],
      join(repoRoot, folder),
    );
    expect(result.status, result.stderr).toBe(0);
    const published = JSON.parse(result.stdout) as Record<string, { id: string }>;
    expect(published[manifest.name]?.id).toBe(`${manifest.name}@${manifest.version}`);
  });
});

describe('the packed tarballs in a fresh folder', () => {
  let install: { status: number | null; output: string; offline: boolean };

  beforeAll(() => {
    mkdirSync(tarballs, { recursive: true });
    mkdirSync(consumer, { recursive: true });
    const dependencies: Record<string, string> = {};
    for (const folder of packageFolders) {
      const packed = pack(folder, false);
      dependencies[packed.name] = `file:${join(tarballs, packed.filename)}`;
    }
    // The consumer's own tools: Node's types (server-kit's declarations name node:http).
    const typesNode = readManifest('packages/server-kit').devDependencies!['@types/node']!;
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({
        name: 'coral-consumer',
        private: true,
        type: 'module',
        dependencies: { ...dependencies, '@types/node': typesNode },
      }),
    );
    const attempt = (mode: string) =>
      run('npm', ['install', mode, '--no-audit', '--no-fund', '--loglevel=error'], consumer);
    let result = attempt('--offline');
    let offline = true;
    if (result.status !== 0 && /ENOTCACHED/.test(result.stderr)) {
      // npm's cache lacks something (a machine whose `npm ci` predates a dependency): say so,
      // and let npm fetch only what is missing.
      process.stderr.write(`packages.test: not all in npm's cache, retrying --prefer-offline\n`);
      result = attempt('--prefer-offline');
      offline = false;
    }
    install = { status: result.status, output: `${result.stdout}${result.stderr}`, offline };
  }, 300_000);

  it('installs, internal dependencies resolved from the tarballs side by side', () => {
    expect(install.status, install.output).toBe(0);
    for (const folder of packageFolders) {
      const name = manifests.get(folder)!.name;
      const installed = JSON.parse(
        readFileSync(join(consumer, 'node_modules', name, 'package.json'), 'utf8'),
      ) as PackageManifest;
      expect(installed.version).toBe(manifests.get(folder)!.version);
      // One copy of each: no internal package pulled from a registry under another version.
      expect(existsSync(join(consumer, 'node_modules', name, 'node_modules', '@coral-cdn'))).toBe(
        false,
      );
    }
  });

  it('imports in Node, the browser package included (no DOM needed at import time)', () => {
    // Node has no DOM: a package that touched window, document or an element class at import
    // time would throw here (a bare reference to an undefined global is a ReferenceError).
    const script = `
      const dom = ['window', 'document', 'HTMLMediaElement', 'MediaSource'];
      if (dom.some((name) => name in globalThis)) throw new Error('this Node has DOM globals');
      const hlsjs = await import('@coral-cdn/hlsjs');
      if (dom.some((name) => name in globalThis)) throw new Error('importing defined DOM globals');
      const protocol = await import('@coral-cdn/protocol');
      const kit = await import('@coral-cdn/server-kit');
      const engine = await import('@coral-cdn/p2p-engine');
      const peer = await import('@coral-cdn/node-peer');
      const decoded = protocol.decodeClientMessage('{"type":"ping"}');
      const metrics = await kit.createMetricsRegistry('consumer').metrics();
      console.log(JSON.stringify({
        ping: decoded.ok,
        metrics: metrics.includes('coral_process_cpu'),
        engine: typeof engine.CoralEngine,
        hls: typeof hlsjs.createCoralHls,
        peer: typeof peer.createNodePlatform,
      }));
    `;
    const result = run(process.execPath, ['--input-type=module', '-e', script], consumer);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)).toEqual({
      ping: true,
      metrics: true,
      engine: 'function',
      hls: 'function',
      peer: 'function',
    });
  });

  it("runs node-peer's CLI from its bin", () => {
    const result = run(join(consumer, 'node_modules', '.bin', 'coral-peer'), ['--help'], consumer);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('Usage: coral-peer');
  });

  it('type-checks against the packed declarations (strict, NodeNext, library check on)', () => {
    writeFileSync(
      join(consumer, 'check.ts'),
      [
        "import { decodeClientMessage, type ClientMessage } from '@coral-cdn/protocol';",
        "import { createMetricsRegistry, type Logger } from '@coral-cdn/server-kit';",
        "import { CoralEngine, type EngineStats } from '@coral-cdn/p2p-engine';",
        "import { createCoralHls } from '@coral-cdn/hlsjs';",
        "import { createNodePlatform } from '@coral-cdn/node-peer';",
        "const message: ClientMessage = { type: 'ping' };",
        'export const used = [decodeClientMessage, createMetricsRegistry, CoralEngine, createCoralHls, createNodePlatform, message];',
        'export type Used = [Logger, EngineStats];',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2023', 'dom'],
          types: ['node'],
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['check.ts'],
      }),
    );
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = run(process.execPath, [tsc, '-p', 'tsconfig.json'], consumer, 170_000);
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    // Checking every declaration (hls.js, werift, …) takes ~15 s alone, over 60 s on 2 busy cores.
  }, 180_000);
});
