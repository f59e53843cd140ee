import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('the published package', () => {
  it('holds only dist, the src its maps point at, README, LICENSE and package.json', () => {
    const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: packageDir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const [packed] = JSON.parse(output) as Array<{ files: Array<{ path: string }> }>;
    const paths = packed!.files.map((f) => f.path);
    for (const path of paths) {
      expect(path, path).toMatch(
        /^(dist\/.+\.(js|d\.ts|js\.map|d\.ts\.map)|src\/.+\.ts|README\.md|LICENSE|package\.json)$/,
      );
    }
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
      exports: { '.': { types: string; default: string } };
      peerDependencies: Record<string, string>;
      dependencies: Record<string, string>;
    };
    expect(paths).toContain(manifest.exports['.'].default.replace('./', ''));
    expect(paths).toContain(manifest.exports['.'].types.replace('./', ''));
    expect(paths).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'package.json']));
    // hls.js is the operator's: a peer, never bundled or depended on.
    expect(manifest.peerDependencies['hls.js']).toBeDefined();
    expect(manifest.dependencies['hls.js']).toBeUndefined();
  });
});
