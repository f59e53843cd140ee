import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build as esbuild } from 'esbuild';
import { build as viteBuild, type Rollup } from 'vite';

/**
 * What Coral adds to a page, minified and gzipped, as two bundlers produce it: esbuild and Vite
 * (the versions this package pins), each building `page.ts` from the built `dist/` with hls.js
 * left out (the page's own). Shared by the size test and the `size` benchmark.
 */

export type Bundler = 'esbuild' | 'vite';

export interface BundleSize {
  readonly bundler: Bundler;
  readonly minifiedBytes: number;
  readonly gzipBytes: number;
  /** The largest inputs by their minified bytes (esbuild only: Vite does not report them). */
  readonly largestInputs: readonly { path: string; bytes: number }[];
}

export const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const budgetFile = join(packageDir, 'size-budget.json');
const entry = join(packageDir, 'test', 'size', 'page.ts');

/** gzip at level 9, as a CDN serving static files would. */
function gzipBytes(code: string): number {
  return gzipSync(Buffer.from(code), { level: 9 }).byteLength;
}

async function withEsbuild(): Promise<BundleSize> {
  const result = await esbuild({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    external: ['hls.js'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.text;
  const inputs = Object.values(result.metafile.outputs)[0]!.inputs;
  const largestInputs = Object.entries(inputs)
    .map(([path, input]) => ({ path, bytes: input.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
  return {
    bundler: 'esbuild',
    minifiedBytes: code.length,
    gzipBytes: gzipBytes(code),
    largestInputs,
  };
}

async function withVite(): Promise<BundleSize> {
  const outDir = mkdtempSync(join(tmpdir(), 'coral-size-'));
  try {
    const output = (await viteBuild({
      configFile: false,
      root: packageDir,
      logLevel: 'silent',
      build: {
        outDir,
        write: false,
        minify: 'esbuild',
        target: 'es2022',
        modulePreload: false,
        rollupOptions: { input: entry, external: ['hls.js'], preserveEntrySignatures: false },
      },
    })) as Rollup.RollupOutput | Rollup.RollupOutput[];
    const chunks = (Array.isArray(output) ? output : [output])
      .flatMap((o) => o.output)
      .filter((o): o is Rollup.OutputChunk => o.type === 'chunk');
    const code = chunks.map((chunk) => chunk.code).join('\n');
    return {
      bundler: 'vite',
      minifiedBytes: code.length,
      gzipBytes: gzipBytes(code),
      largestInputs: [],
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

export function measureBundle(bundler: Bundler): Promise<BundleSize> {
  return bundler === 'esbuild' ? withEsbuild() : withVite();
}

export interface SizeBudget {
  /** Most gzipped bytes Coral may add to a page, per bundler. */
  readonly gzipBytes: Record<Bundler, number>;
}

export function readBudget(): SizeBudget {
  return JSON.parse(readFileSync(budgetFile, 'utf8')) as SizeBudget;
}
