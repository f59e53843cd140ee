// The segment decision alone, held to no surviving mutant: every rule of the per-segment
// choice has a test that fails without it. The rest of the engine's mutated files run with
// stryker.config.json (80% to pass); `npm run mutation` runs both.
import { readFileSync } from 'node:fs';

const base = JSON.parse(readFileSync(new URL('./stryker.config.json', import.meta.url), 'utf8'));

export default {
  ...base,
  mutate: ['src/segment-decision.ts'],
  jsonReporter: { fileName: 'reports/mutation/segment-decision.json' },
  thresholds: { high: 100, low: 100, break: 100 },
};
