/**
 * `swarm --pool a,b,…`: no new runs; the runs of earlier invocations, read back from their
 * result files, pooled into one comparison per pair. On a shared machine two invocations of
 * the same command can disagree more than the rounds of one do, so a verdict that should
 * stand needs several invocations, and an interval that draws them too.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { resultsDir, writeResultFile, writeResults } from '../lib/results.js';
import {
  comparePairs,
  liveSwarmTargetOf,
  type PairComparison,
  type RunFigures,
  type TargetVerdict,
} from './figures.js';
import type { SwarmOptions } from './options.js';
import { offloadChart, pairLabel, pairsTable, verdictText } from './report.js';
import { cdnReasonCounts } from './viewers.js';

export class SwarmPoolError extends Error {
  override readonly name = 'SwarmPoolError';
}

const num = z.number();
const counts = z.record(z.string(), num);

const cpuUse = z.looseObject({
  servicesSec: counts,
  servicesTotalSec: num,
  browsersSec: num,
  browsersByRoleSec: counts,
  browsersByThreadSec: counts,
  peersSec: num,
  harnessSec: num,
  loadAverage1mBefore: num,
  loadAverage1mAfter: num,
});

const phase = z.looseObject({
  durationSec: num,
  offload: num,
  fractionOfMax: num,
  cdnBytesEdge: num,
  cdnBitsPerSecEdge: num,
  cdnBytesViewers: num,
  p2pBytes: num,
  uploadedBytes: num,
  edgeRequests: num,
  stalls: num,
  stallMs: num,
  fallbacks: num,
  segmentsFromHttp: num,
  segmentsFromP2p: num,
  segmentsMixed: num,
  // Every reason present (a file from before a reason existed reads it as 0).
  cdnReasons: counts.transform((value) => cdnReasonCounts(value)),
  integrityFailures: num,
  prefetchWastedBytes: num,
  cpu: cpuUse,
});

/** What pooling reads of a run: RunFigures, checked field by field. */
const run = z.looseObject({
  scenario: z.enum(['live', 'vod']),
  kind: z.enum(['browsers', 'peers']),
  viewers: z.number().int().min(1),
  delivery: z.enum(['p2p', 'cdn']),
  joinIntervalMs: num,
  round: z.number().int().optional(),
  theoreticalMaxOffload: num,
  window: phase,
  join: phase,
  whole: phase,
  startupMsMedian: num.nullable(),
  startupMsMax: num.nullable(),
  notStarted: z.number().int(),
  problems: z.array(z.string()),
  perViewer: z.array(z.looseObject({ startupMs: num.nullable() })),
});

const resultFile = z.object({
  benchmark: z.string(),
  measuredAt: z.string(),
  commit: z.string().nullable(),
  machine: z.looseObject({ loadAverage1m: num }),
  figures: z.looseObject({ runs: z.array(run).min(1) }),
});

/** One earlier invocation, as its result file recorded it. */
export interface SwarmInvocation {
  name: string;
  commit: string | null;
  measuredAt: string;
  runs: RunFigures[];
}

/** Read `<dir>/<name>.json`, written by the swarm benchmark; a clear error for anything else. */
export function readSwarmInvocation(name: string, dir = resultsDir): SwarmInvocation {
  const path = join(dir, `${name}.json`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SwarmPoolError(
      code === 'ENOENT'
        ? `${path} does not exist: run the swarm benchmark with --out ${name} first`
        : `${path} cannot be read: ${String(error)}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SwarmPoolError(`${path} is not JSON`);
  }
  const parsed = resultFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SwarmPoolError(
      `${path} is not a swarm benchmark result (at ${issue.path.join('.') || 'the top'}: ${issue.message})`,
    );
  }
  const { commit, measuredAt, figures } = parsed.data;
  // The schema checked every field pooling reads; the rest of ViewerFigures rides along.
  return { name, commit, measuredAt, runs: figures.runs as unknown as RunFigures[] };
}

export interface PoolOutcome {
  pairs: PairComparison[];
  target: TargetVerdict | null;
  resultsPath: string;
}

/** Pool the invocations named by `--pool`, print the pairs and the verdict, write the results. */
export function poolSwarmResults(
  options: Pick<SwarmOptions, 'pool' | 'out'>,
  log: (line: string) => void,
  dir = resultsDir,
): PoolOutcome {
  const invocations = options.pool.map((name) => readSwarmInvocation(name, dir));
  // Each invocation on its own first: how far they disagree is the point of pooling.
  const each = invocations.map((invocation) => ({
    invocation,
    pairs: comparePairs([invocation.runs]),
  }));
  for (const { invocation, pairs } of each) {
    const label = `${invocation.name} (${invocation.commit ?? 'no commit'}, ${invocation.measuredAt})`;
    if (pairs.length === 0) log(`${label}: no pair with both P2P and CDN-only runs`);
    for (const pair of pairs)
      log(
        `${label}: ${pairLabel(pair)} × ${pair.rounds}: offload ${(pair.offloadWindow * 100).toFixed(1)}%, ` +
          `stalls ${pair.stallsP2p}/${pair.stallsCdn}, start-up ${pair.startupMsMedianP2p ?? '-'}/${pair.startupMsMedianCdn ?? '-'} ms ` +
          `(ratio ${pair.startupMedianRatio ?? '-'})`,
      );
  }
  const commits = [...new Set(invocations.map((invocation) => invocation.commit))];
  if (commits.length > 1)
    log(`note: the invocations ran different commits (${commits.join(', ')}): pooled anyway`);
  const pairs = comparePairs(invocations.map((invocation) => invocation.runs));
  const target = liveSwarmTargetOf(pairs);
  log(`\npooled over ${invocations.length} invocations:\n${pairsTable(pairs)}\n`);
  if (target) log(verdictText(target));
  const resultsPath = writeResults(
    options.out,
    {
      pooledFrom: invocations.map(({ name, commit, measuredAt, runs }) => ({
        name,
        commit,
        measuredAt,
        runs: runs.length,
      })),
      perInvocation: each.map(({ invocation, pairs: own }) => ({
        name: invocation.name,
        pairs: own,
      })),
      pairs,
      target,
    },
    dir,
  );
  if (pairs.length > 0) {
    const chartPath = writeResultFile(
      `${options.out}.svg`,
      offloadChart(
        pairs,
        `Coral swarm offload vs viewers (${invocations.length} invocations pooled)`,
      ),
      dir,
    );
    log(`chart: ${chartPath}`);
  }
  log(`results: ${resultsPath}`);
  return { pairs, target, resultsPath };
}
