import { describe, expect, it } from 'vitest';
import { measureBundle, readBudget, type Bundler } from './size/measure.js';

/** The hard ceiling the budget itself must stay under (what a page can afford): 40 KB, decimal. */
const CEILING_GZIP_BYTES = 40_000;

describe('what Coral adds to a page (minified, gzipped, hls.js excluded)', () => {
  const budget = readBudget();

  it.each<Bundler>(['esbuild', 'vite'])(
    'with %s stays within the committed budget',
    async (bundler) => {
      const size = await measureBundle(bundler);
      const limit = budget.gzipBytes[bundler];
      const largest = size.largestInputs.map((i) => `${i.path} ${i.bytes}`).join(', ');
      console.log(
        `${bundler}: ${size.minifiedBytes} B minified, ${size.gzipBytes} B gzipped (budget ${limit})` +
          (largest ? `; largest: ${largest}` : ''),
      );
      expect(limit).toBeLessThanOrEqual(CEILING_GZIP_BYTES);
      // A schema library or a second copy of the engine would pass 30 KB at once.
      expect(
        size.gzipBytes,
        `grew past size-budget.json; largest inputs: ${largest}`,
      ).toBeLessThanOrEqual(limit);
    },
  );
});
