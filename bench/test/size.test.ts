import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { FlagError } from '../src/lib/flags.js';
import type * as Results from '../src/lib/results.js';

// The results go to a scratch folder, not bench/results/.
const scratch = mkdtempSync(join(tmpdir(), 'coral-bench-size-'));
vi.mock('../src/lib/results.js', async (importOriginal) => {
  const original = await importOriginal<typeof Results>();
  return {
    ...original,
    writeResults: (name: string, figures: unknown) => original.writeResults(name, figures, scratch),
  };
});
const { default: scenario } = await import('../src/scenarios/size.js');

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface SizeFigures {
  bundlers: Array<{
    bundler: string;
    minifiedBytes: number;
    gzipBytes: number;
    budgetBytes: number;
    withinBudget: boolean;
  }>;
}

describe('the size benchmark', () => {
  it('prints and writes the esbuild and Vite gzipped sizes against size-budget.json', async () => {
    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      await scenario.run({});
    } finally {
      write.mockRestore();
    }
    const budget = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../packages/hlsjs/size-budget.json'), 'utf8'),
    ) as { gzipBytes: Record<string, number> };
    const { figures } = JSON.parse(readFileSync(join(scratch, 'size.json'), 'utf8')) as {
      figures: SizeFigures;
    };
    expect(figures.bundlers.map((b) => b.bundler)).toEqual(['esbuild', 'vite']);
    for (const row of figures.bundlers) {
      expect(row.budgetBytes).toBe(budget.gzipBytes[row.bundler]);
      // Gzipped Coral is a few tens of KB, well under its minified size.
      expect(row.gzipBytes).toBeGreaterThan(10_000);
      expect(row.gzipBytes).toBeLessThan(row.minifiedBytes);
      expect(row.withinBudget).toBe(row.gzipBytes <= row.budgetBytes);
      expect(printed.join('')).toMatch(
        new RegExp(
          `${row.bundler}\\s+${row.minifiedBytes}\\s+${row.gzipBytes}\\s+${row.budgetBytes}`,
        ),
      );
    }
  });

  it('takes no flags', async () => {
    await expect(scenario.run({ rounds: '3' })).rejects.toThrow(FlagError);
  });
});
