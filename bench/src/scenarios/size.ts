import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@coral-cdn/test-support';
import { z } from 'zod';
import { parseFlags } from '../lib/flags.js';
import { writeResults } from '../lib/results.js';
import type { Scenario } from '../lib/scenario.js';
import { formatTable } from '../lib/stats.js';

/**
 * Bundle size: what Coral adds to a page (hls.js excluded, it is the page's own), minified and
 * gzipped at level 9, as esbuild and Vite build it, against the committed budget
 * (packages/hlsjs/size-budget.json). The measurement is the size test's own
 * (packages/hlsjs/test/size/measure.ts, with the bundler versions that package pins), loaded
 * from here, so the benchmark and `npm test` cannot disagree. Needs packages/hlsjs built (`npm
 * run bench` builds first). No flags.
 */

type Bundler = 'esbuild' | 'vite';
const BUNDLERS: readonly Bundler[] = ['esbuild', 'vite'];

/** What this scenario uses of measure.ts (its types live outside this package's sources). */
interface BundleSize {
  readonly bundler: Bundler;
  readonly minifiedBytes: number;
  readonly gzipBytes: number;
  readonly largestInputs: readonly { path: string; bytes: number }[];
}
interface SizeModule {
  measureBundle(bundler: Bundler): Promise<BundleSize>;
  readBudget(): { readonly gzipBytes: Record<Bundler, number> };
  readonly budgetFile: string;
}

/** The ceiling the budget itself must stay under (the size test's, and the issue's target: 40 KB). */
const CEILING_GZIP_BYTES = 40_000;

const hlsjsDir = join(repoRoot, 'packages', 'hlsjs');
const measureSource = join(hlsjsDir, 'test', 'size', 'measure.ts');

/**
 * measure.ts as a module Node can import: transpiled (types stripped) by the package's own
 * esbuild into its node_modules/.cache, so that `esbuild` and `vite` resolve from the package
 * as they do in its test, with `import.meta.url` kept as the source file's (its paths hang on it).
 */
async function loadMeasure(): Promise<SizeModule> {
  const requireFromHlsjs = createRequire(join(hlsjsDir, 'package.json'));
  const esbuild = requireFromHlsjs('esbuild') as {
    transformSync(
      code: string,
      options: { loader: 'ts'; format: 'esm'; define: Record<string, string> },
    ): { code: string };
  };
  const { code } = esbuild.transformSync(readFileSync(measureSource, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(measureSource).href) },
  });
  const cacheDir = join(hlsjsDir, 'node_modules', '.cache', 'coral-bench');
  mkdirSync(cacheDir, { recursive: true });
  const compiled = join(cacheDir, 'measure.mjs');
  writeFileSync(compiled, code);
  return (await import(pathToFileURL(compiled).href)) as SizeModule;
}

const scenario: Scenario = {
  name: 'size',
  description: 'what Coral adds to a page, gzipped, by esbuild and Vite, against the budget',
  async run(args) {
    parseFlags(z.object({}), args);
    const built = join(hlsjsDir, 'dist', 'index.js');
    if (!existsSync(built)) throw new Error(`${built} is missing: build packages/hlsjs first`);
    const measure = await loadMeasure();
    const budget = measure.readBudget();
    const sizes: BundleSize[] = [];
    for (const bundler of BUNDLERS) sizes.push(await measure.measureBundle(bundler));
    const rows = sizes.map((size) => {
      const budgetBytes = budget.gzipBytes[size.bundler];
      return {
        bundler: size.bundler,
        minifiedBytes: size.minifiedBytes,
        gzipBytes: size.gzipBytes,
        budgetBytes,
        headroomBytes: budgetBytes - size.gzipBytes,
        withinBudget: size.gzipBytes <= budgetBytes,
      };
    });
    process.stdout.write(
      `${formatTable(
        rows.map((row) => ({
          bundler: row.bundler,
          'minified B': row.minifiedBytes,
          'gzip B': row.gzipBytes,
          'budget B': row.budgetBytes,
          'headroom B': row.headroomBytes,
          verdict: row.withinBudget ? 'within budget' : 'OVER BUDGET',
        })),
      )}\n`,
    );
    const largest = sizes.find((size) => size.bundler === 'esbuild')?.largestInputs ?? [];
    process.stdout.write(
      `largest inputs (esbuild, minified B): ` +
        `${largest.map((input) => `${input.path} ${input.bytes}`).join(', ')}\n` +
        `budget: ${relative(repoRoot, measure.budgetFile)}; ceiling ${CEILING_GZIP_BYTES} B gzipped with either bundler\n`,
    );
    const figures = {
      measures: 'Coral in a page (packages/hlsjs/test/size/page.ts), hls.js external, gzip -9',
      bundlers: rows,
      largestInputsEsbuild: largest,
      ceilingGzipBytes: CEILING_GZIP_BYTES,
      target: `gzipBytes <= budgetBytes <= ${CEILING_GZIP_BYTES} with each bundler`,
    };
    process.stdout.write(`results: ${writeResults('size', figures)}\n`);
  },
};

export default scenario;
