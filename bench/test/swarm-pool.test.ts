import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@coral-cdn/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { writeResults } from '../src/lib/results.js';
import { comparePairs, runFigures, type Moment, type RunFigures } from '../src/swarm/figures.js';
import { parseSwarmOptions, POOLED_OUT, SwarmOptionsError } from '../src/swarm/options.js';
import { poolSwarmResults, readSwarmInvocation, SwarmPoolError } from '../src/swarm/pool.js';
import { zeroCounters, type ViewerCounters } from '../src/swarm/viewers.js';

const dir = makeTempDir('coral-bench-pool-');
afterAll(() => dir.remove());

function moment(atMs: number, edgeBytesServed: number, viewers: ViewerCounters[]): Moment {
  const sec = atMs / 1000;
  return {
    atMs,
    viewers,
    edgeBytesServed,
    edgeRequests: atMs / 100,
    cpu: {
      services: { origin: sec / 10 },
      browsersSec: sec,
      browsersByRoleSec: { renderer: sec },
      browsersByThreadSec: { 'renderer/main': sec },
      peersSec: 0,
      harnessSec: 0,
      loadAverage1m: 1,
    },
  };
}

/** A LIVE round of 6 browsers: each viewer's start-up, P2P bytes as P2P would move them. */
function liveRound(delivery: 'p2p' | 'cdn', startupsMs: number[], round: number): RunFigures {
  const p2pBytes = delivery === 'p2p' ? 5000 : 0;
  const viewers = startupsMs.map((startupMs) => ({
    ...zeroCounters(),
    startupMs,
    httpBytes: 1000,
    p2pBytes,
  }));
  return runFigures(
    { scenario: 'live', kind: 'browsers', viewers: 6, delivery, joinIntervalMs: 2000, round },
    {
      start: moment(0, 0, []),
      windowStart: moment(
        10_000,
        0,
        viewers.map((v) => ({ ...v, httpBytes: 0, p2pBytes: 0 })),
      ),
      end: moment(40_000, delivery === 'p2p' ? 6000 : 36_000, viewers),
    },
    [0, 2000, 4000, 6000, 8000, 10_000],
  );
}

/** An invocation's result file as the swarm benchmark writes it (extra fields included). */
function writeInvocation(name: string, runs: RunFigures[]): void {
  writeResults(
    name,
    { options: {}, runs: runs.map((run) => ({ ...run, windowMs: { from: 0, to: 30_000 } })) },
    dir.path,
  );
}

const six = (ms: number) => [ms, ms, ms, ms, ms, ms];

describe('swarm --pool', () => {
  it('pools the rounds of several invocations into one pair, with an interval over invocations', () => {
    // Invocation A: P2P as fast as CDN-only; invocation B: P2P 1.5× slower.
    writeInvocation('inv-a', [
      liveRound('p2p', six(100), 1),
      liveRound('cdn', six(100), 1),
      liveRound('cdn', six(100), 2),
      liveRound('p2p', six(100), 2),
    ]);
    writeInvocation('inv-b', [
      liveRound('p2p', six(150), 1),
      liveRound('cdn', six(100), 1),
      liveRound('cdn', six(100), 2),
      liveRound('p2p', six(150), 2),
    ]);
    const lines: string[] = [];
    const outcome = poolSwarmResults(
      { pool: ['inv-a', 'inv-b'], out: 'pooled' },
      (line) => lines.push(line),
      dir.path,
    );
    expect(outcome.pairs).toHaveLength(1);
    const pair = outcome.pairs[0]!;
    expect(pair.rounds).toBe(4);
    expect(pair.startupMsMedianCdn).toBe(100);
    // 24 P2P viewers, half at 100 ms and half at 150: the median lies between.
    expect(pair.startupMsMedianP2p).toBe(125);
    expect(pair.startupMedianRatio).toBe(1.25);
    // Either invocation may be drawn twice: from A's 1.0 to B's 1.5.
    expect(pair.startupRatioInterval).toMatchObject({ low: 1, high: 1.5, invocations: 2 });
    expect(pair.stallsP2p).toBe(0);
    expect(outcome.target).toMatchObject({ asStated: true, startupMet: false, met: false });
    // Each invocation is listed on its own first, then the pooled verdict.
    expect(lines.some((l) => l.startsWith('inv-a') && l.includes('(ratio 1)'))).toBe(true);
    expect(lines.some((l) => l.startsWith('inv-b') && l.includes('(ratio 1.5)'))).toBe(true);
    expect(lines.join('\n')).toMatch(
      /startup median P2P \/ CDN-only 1\.25 \(90% of resamples of 2 invocations and their rounds: 1–1\.5\) ≤ 1\.1: NOT met/,
    );
    const written = JSON.parse(readFileSync(outcome.resultsPath, 'utf8')) as {
      figures: { pooledFrom: Array<{ name: string; runs: number }>; perInvocation: unknown[] };
    };
    expect(outcome.resultsPath).toBe(join(dir.path, 'pooled.json'));
    expect(written.figures.pooledFrom.map((source) => [source.name, source.runs])).toEqual([
      ['inv-a', 4],
      ['inv-b', 4],
    ]);
    expect(written.figures.perInvocation).toHaveLength(2);
    expect(existsSync(join(dir.path, 'pooled.svg'))).toBe(true);
  });

  it('with one invocation gives exactly what that invocation reported', () => {
    const runs = readSwarmInvocation('inv-b', dir.path).runs;
    const outcome = poolSwarmResults({ pool: ['inv-b'], out: 'pooled-one' }, () => {}, dir.path);
    expect(outcome.pairs).toEqual(comparePairs([runs]));
    expect(outcome.pairs[0]!.startupRatioInterval).toMatchObject({ invocations: 1 });
  });

  it('refuses what is not a swarm result, naming the file and the field', () => {
    writeFileSync(join(dir.path, 'broken.json'), '{"benchmark": "swarm", ');
    writeResults('edge-like', { hits: [{ rps: 1000 }] }, dir.path);
    const run = liveRound('p2p', six(100), 1);
    writeInvocation('bad-run', [{ ...run, delivery: 'both' as unknown as 'p2p' }]);
    const cases: Array<[string, RegExp]> = [
      ['missing', /missing\.json does not exist: run the swarm benchmark with --out missing/],
      ['broken', /broken\.json is not JSON/],
      ['edge-like', /edge-like\.json is not a swarm benchmark result \(at figures\.runs: /],
      [
        'bad-run',
        /bad-run\.json is not a swarm benchmark result \(at figures\.runs\.0\.delivery: /,
      ],
    ];
    for (const [name, message] of cases) {
      expect(() => readSwarmInvocation(name, dir.path)).toThrow(SwarmPoolError);
      expect(() => readSwarmInvocation(name, dir.path)).toThrow(message);
    }
    // Nothing is written when a source is refused.
    expect(() =>
      poolSwarmResults({ pool: ['inv-a', 'broken'], out: 'never' }, () => {}, dir.path),
    ).toThrow(SwarmPoolError);
    expect(existsSync(join(dir.path, 'never.json'))).toBe(false);
  });

  it('reads --pool: a diagnostic, names only, its own default output, never over a source', () => {
    const diagnose = 'true';
    const options = parseSwarmOptions({ diagnose, pool: 'live-a, live-b,live-a' });
    expect(options.pool).toEqual(['live-a', 'live-b']);
    expect(options.out).toBe(POOLED_OUT);
    expect(parseSwarmOptions({ diagnose, pool: 'live-a', out: 'both' }).out).toBe('both');
    expect(parseSwarmOptions({}).pool).toEqual([]);
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ pool: 'live-a' }, /--pool is a diagnostic: give it with --diagnose/],
      [
        { diagnose, pool: '../swarm' },
        /--pool takes a file name of \[a-z0-9-\], got "\.\.\/swarm"/,
      ],
      [{ diagnose, pool: 'a,' }, /--pool takes a file name/],
      [
        { diagnose, pool: 'live-a,swarm', out: 'swarm' },
        /--out swarm would overwrite a file --pool reads/,
      ],
      [
        { diagnose, pool: 'live-a', window_sec: '20' },
        /--pool runs nothing and takes only --out, not --window-sec/,
      ],
    ];
    for (const [flags, message] of bad) {
      expect(() => parseSwarmOptions(flags)).toThrow(SwarmOptionsError);
      expect(() => parseSwarmOptions(flags)).toThrow(message);
    }
  });
});
