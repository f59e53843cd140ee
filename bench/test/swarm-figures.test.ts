import { describe, expect, it } from 'vitest';
import { codeChanges, type CodeStamp } from '../src/swarm/code-stamp.js';
import { chromiumRole, threadLabel, threadTicks, type CpuSample } from '../src/swarm/cpu.js';
import {
  medianPageStartup,
  missesLine,
  pageStartups,
  segmentSourcing,
} from '../src/swarm/diagnosis.js';
import {
  comparePair,
  liveSwarmTarget,
  joinerStartup,
  offload,
  poolRuns,
  runFigures,
  theoreticalMaxOffload,
  type Moment,
  type RunSpec,
} from '../src/swarm/figures.js';
import { parseFleetLine, peerCounters } from '../src/swarm/peer-group.js';
import { joinPhaseCpuLine, offloadChart, p2pCpuCostLine } from '../src/swarm/report.js';
import {
  cdnReasonCounts,
  zeroCounters,
  type ViewerCounters,
  type CdnReason,
  type ViewerDiagnostics,
} from '../src/swarm/viewers.js';

function counters(partial: Partial<ViewerCounters>): ViewerCounters {
  return { ...zeroCounters(), ...partial };
}

function cpu(browsersSec: number, origin: number, load = 1): CpuSample {
  return {
    services: { origin, edge: origin / 2 },
    browsersSec,
    browsersByRoleSec: { renderer: browsersSec * 0.75, 'gpu-process': browsersSec * 0.25 },
    browsersByThreadSec: {
      'renderer/main': browsersSec * 0.75,
      'gpu-process/main': browsersSec * 0.25,
    },
    peersSec: 0,
    harnessSec: 0,
    loadAverage1m: load,
  };
}

function moment(atMs: number, edgeBytesServed: number, viewers: ViewerCounters[]): Moment {
  return { atMs, viewers, edgeBytesServed, edgeRequests: atMs / 100, cpu: cpu(atMs / 1000, 1) };
}

const live3: RunSpec = {
  scenario: 'live',
  kind: 'browsers',
  viewers: 3,
  delivery: 'p2p',
  joinIntervalMs: 2000,
};

describe('swarm figures', () => {
  it('names a Chromium process by its role', () => {
    const chromium = '/usr/lib/chromium/chromium';
    expect(chromiumRole(`${chromium} --type=renderer --lang=en-US`)).toBe('renderer');
    expect(chromiumRole(`${chromium} --type=gpu-process --no-sandbox`)).toBe('gpu-process');
    expect(
      chromiumRole(
        `${chromium} --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US`,
      ),
    ).toBe('network');
    expect(chromiumRole(`${chromium} --headless --remote-debugging-pipe`)).toBe('browser');
  });

  it('bounds live offload at (N-1)/N', () => {
    expect(theoreticalMaxOffload(6)).toBeCloseTo(5 / 6);
    expect(theoreticalMaxOffload(1)).toBe(0);
    expect(theoreticalMaxOffload(0)).toBe(0);
    expect(offload(3, 1)).toBe(0.75);
    expect(offload(0, 0)).toBe(0);
  });

  it('counts CDN fetches by reason in the window, a late joiner from zero, and reads any shape', () => {
    const reasons = (partial: Record<string, unknown>) => cdnReasonCounts(partial);
    const start = moment(0, 0, []);
    const windowStart = moment(10_000, 0, [
      counters({ cdnReasons: reasons({ alone: 2, elected: 1 }) }),
    ]);
    const end = moment(40_000, 0, [
      counters({ cdnReasons: reasons({ alone: 2, elected: 6, deadline: 1 }) }),
      counters({ cdnReasons: reasons({ startup: 2, alone: 1, deadline: 2 }) }),
    ]);
    const figures = runFigures(live3, { start, windowStart, end }, [0, 2000]);
    expect(figures.window.cdnReasons).toEqual({
      startup: 2,
      alone: 1,
      elected: 5,
      deadline: 3,
      unsigned: 0,
      fallback: 0,
    });
    expect(figures.whole.cdnReasons.alone).toBe(3);
    // A page without the counters (P2P off, an older bundle) or with junk reads as zeros.
    expect(cdnReasonCounts(undefined)).toEqual(cdnReasonCounts({}));
    expect(cdnReasonCounts({ alone: 'x', elected: 4 }).alone).toBe(0);
    expect(cdnReasonCounts({ alone: 'x', elected: 4 }).elected).toBe(4);
  });

  it('pools rounds: bytes and stalls add up, offload and start-up come from every round', () => {
    const start = moment(0, 0, []);
    const round = (p2p: number, http: number, startups: number[], stalls: number) =>
      runFigures(
        { ...live3, round: 1 },
        {
          start,
          windowStart: moment(
            10_000,
            0,
            startups.map((ms) => counters({ startupMs: ms })),
          ),
          end: moment(
            40_000,
            http,
            startups.map((ms, index) =>
              counters({
                startupMs: ms,
                p2pBytes: index === 0 ? p2p : 0,
                httpBytes: index === 0 ? http : 0,
                stalls: index === 0 ? stalls : 0,
              }),
            ),
          ),
        },
        [0, 2000, 4000],
      );
    const pooled = poolRuns([
      round(900, 100, [500, 600, 4000], 0),
      round(100, 900, [700, 800, 900], 2),
    ]);
    expect(pooled.rounds).toBe(2);
    expect(pooled.round).toBeUndefined();
    expect(pooled.window.offload).toBe(0.5); // (900 + 100) / 2000, not the mean of 0.9 and 0.1
    expect(pooled.window.durationSec).toBe(60);
    expect(pooled.window.cdnBytesEdge).toBe(1000);
    expect(pooled.window.stalls).toBe(2);
    expect(pooled.startupMsMedian).toBe(750); // of all six viewers
    expect(pooled.startupMsMax).toBe(4000);
    expect(pooled.perViewer).toHaveLength(6);
    expect(() => poolRuns([])).toThrow(RangeError);
    expect(pooled.startupsByRoundMs).toEqual([
      [500, 600, 4000],
      [700, 800, 900],
    ]);
    const pair = comparePair(pooled, pooled);
    expect(pair.rounds).toBe(2);
    expect(pair.startupMedianRatio).toBe(1);
    // Resampling rounds: either side may draw the fast round twice, or the slow one.
    expect(pair.startupRatioInterval!.low).toBeLessThan(1);
    expect(pair.startupRatioInterval!.high).toBeGreaterThan(1);
  });

  it('pools probe joiners over rounds: medians of those that started, and who did not', () => {
    const joiners = joinerStartup('live', [
      { p2pMs: [400, 700, null], cdnMs: [300, 500] },
      { p2pMs: [600], cdnMs: [null, 350, 450] },
    ]);
    expect(joiners.p2pMs).toEqual([400, 700, 600]);
    expect(joiners.medianMsP2p).toBe(600);
    expect(joiners.medianMsCdn).toBe(400); // of 300, 500, 350, 450
    expect(joiners.medianRatio).toBe(1.5);
    expect(joiners.notStartedP2p).toBe(1);
    expect(joiners.notStartedCdn).toBe(1);
    expect(joinerStartup('vod', []).medianRatio).toBeNull();
  });

  it('measures the window as the difference between two moments, viewer by viewer', () => {
    const start = moment(0, 1_000, []);
    // At the window's start, viewer 2 has not joined yet: it counts from zero.
    const windowStart = moment(10_000, 5_000, [
      counters({ httpBytes: 400, startupMs: 900 }),
      counters({ httpBytes: 100, p2pBytes: 300, startupMs: 1500 }),
    ]);
    const end = moment(40_000, 8_000, [
      counters({ httpBytes: 1400, p2pBytes: 0, startupMs: 900, stalls: 1, stallMs: 250 }),
      counters({ httpBytes: 100, p2pBytes: 1300, startupMs: 1500 }),
      counters({ httpBytes: 0, p2pBytes: 1000, startupMs: 2400 }),
    ]);
    const figures = runFigures(live3, { start, windowStart, end }, [0, 2000, 4000]);
    // Window: http 1000 + 0 + 0, p2p 0 + 1000 + 1000.
    expect(figures.window.offload).toBeCloseTo(2000 / 3000, 4);
    expect(figures.window.cdnBytesViewers).toBe(1000);
    expect(figures.window.cdnBytesEdge).toBe(3_000);
    expect(figures.window.cdnBitsPerSecEdge).toBe(800); // 3000 B × 8 / 30 s
    expect(figures.window.fractionOfMax).toBeCloseTo(2000 / 3000 / (2 / 3), 4);
    expect(figures.whole.offload).toBeCloseTo(2300 / 3800, 4);
    expect(figures.whole.cdnBytesEdge).toBe(7_000);
    expect(figures.whole.stalls).toBe(1);
    expect(figures.whole.stallMs).toBe(250);
    expect(figures.window.cpu.browsersSec).toBe(30);
    expect(figures.window.cpu.browsersByRoleSec).toEqual({ renderer: 22.5, 'gpu-process': 7.5 });
    // Join phase: from the first moment to the window's start.
    expect(figures.join.durationSec).toBe(10);
    expect(figures.join.offload).toBeCloseTo(300 / 800, 4);
    expect(figures.join.cdnBytesEdge).toBe(4_000);
    expect(figures.join.cpu.browsersSec).toBe(10);
    expect(joinPhaseCpuLine(figures.join)).toBe(
      'join phase 10.0 s: Chromium 1.00 cores (renderer 0.75, gpu-process 0.25), services 0.00 cores',
    );
    expect(figures.startupMsMedian).toBe(1500);
    expect(figures.startupMsMax).toBe(2400);
    expect(figures.notStarted).toBe(0);
    expect(figures.perViewer.map((v) => v.offloadWindow)).toEqual([0, 1, 1]);
    expect(figures.perViewer.map((v) => v.joinedAtMs)).toEqual([0, 2000, 4000]);
    expect(figures.theoreticalMaxOffload).toBeCloseTo(0.6667, 4);
  });

  it('counts viewers that never started and never lets a counter go negative', () => {
    const start = moment(0, 0, []);
    const windowStart = moment(1000, 10, [counters({ httpBytes: 500 }), counters({})]);
    // A page reloaded: its counters fell back to zero.
    const end = moment(2000, 20, [counters({ httpBytes: 100, startupMs: 700 }), counters({})]);
    const figures = runFigures({ ...live3, viewers: 2 }, { start, windowStart, end }, []);
    expect(figures.window.cdnBytesViewers).toBe(0);
    expect(figures.notStarted).toBe(1);
    expect(figures.problems).toEqual(['1 of 2 viewers never started playing']);
    expect(figures.startupMsMedian).toBe(700);
  });

  it('compares a P2P run with its CDN-only baseline and checks live swarm target', () => {
    const make = (delivery: 'p2p' | 'cdn', p2pBytes: number, edge: number, startupMs: number) =>
      runFigures(
        { ...live3, viewers: 6, delivery },
        {
          start: moment(0, 0, []),
          windowStart: moment(10_000, 0, []),
          end: moment(
            40_000,
            edge,
            Array.from({ length: 6 }, () => counters({ httpBytes: 1000, p2pBytes, startupMs })),
          ),
        },
        [],
      );
    const p2p = make('p2p', 5000, 1_000, 1100);
    const cdn = make('cdn', 0, 4_000, 1000);
    const pair = comparePair(p2p, cdn);
    expect(pair.offloadWindow).toBeCloseTo(5 / 6, 4);
    expect(pair.edgeSavingsWindow).toBe(0.75);
    expect(pair.startupMedianRatio).toBe(1.1);
    const verdict = liveSwarmTarget(pair);
    expect(verdict.offloadFloor).toBeCloseTo(0.7917, 4);
    expect(verdict).toMatchObject({
      offloadMet: true,
      stallsMet: true,
      startupMet: true,
      met: true,
      asStated: true,
    });
    const slow = liveSwarmTarget(comparePair(make('p2p', 5000, 1_000, 1200), cdn));
    expect(slow.startupMet).toBe(false);
    expect(slow.met).toBe(false);
    const low = liveSwarmTarget(comparePair(make('p2p', 3000, 1_000, 900), cdn));
    expect(low.offloadMet).toBe(false);
  });

  it("prices P2P's CPU: extra cores, CPU ms per MB between peers, the threads that grew", () => {
    const sample = (browsersSec: number, threads: Record<string, number>): CpuSample => ({
      ...cpu(browsersSec, 1),
      browsersByThreadSec: threads,
    });
    const at = (atMs: number, p2pBytes: number, cpuSample: CpuSample): Moment => ({
      atMs,
      viewers: [counters({ httpBytes: 1000, p2pBytes, startupMs: 200 })],
      edgeBytesServed: 0,
      edgeRequests: 0,
      cpu: cpuSample,
    });
    const atWindowStart = sample(10, {
      'renderer/main': 5,
      'renderer/WebRTC_W_and_N': 0,
      'network/Chrome_ChildIOT': 1,
    });
    const run = (delivery: 'p2p' | 'cdn', endCpu: CpuSample, p2pBytes: number) =>
      runFigures(
        { ...live3, viewers: 1, delivery },
        {
          start: at(0, 0, sample(0, {})),
          windowStart: at(10_000, 0, atWindowStart),
          end: at(30_000, p2pBytes, endCpu),
        },
        [],
      );
    // 20 s windows. P2P: 10 → 16 CPU s (0.3 cores); CDN-only: 10 → 14 (0.2 cores).
    const p2p = run(
      'p2p',
      sample(16, {
        'renderer/main': 8,
        'renderer/WebRTC_W_and_N': 1.2,
        'network/Chrome_ChildIOT': 1.6,
      }),
      4_000_000,
    );
    // Without P2P the WebRTC thread is gone and the main thread was busier.
    const cdn = run('cdn', sample(14, { 'renderer/main': 8.4, 'network/Chrome_ChildIOT': 1.2 }), 0);
    const pair = comparePair(p2p, cdn);
    // 4 MB from peers in 20 s = 0.2 MB/s; 0.1 cores / 0.2 MB/s = 500 CPU ms per MB.
    expect(pair.p2pCpuCost).toEqual({
      extraCores: 0.1,
      cpuMsPerPeerMb: 500,
      byThread: [
        { thread: 'renderer/WebRTC_W_and_N', extraCores: 0.06 },
        { thread: 'network/Chrome_ChildIOT', extraCores: 0.02 },
      ],
    });
    expect(p2pCpuCostLine(pair)).toBe(
      "LIVE 1 browsers: P2P's CPU cost in the window +0.100 cores, 500 CPU ms per MB between peers; " +
        'threads: renderer/WebRTC_W_and_N +0.060, network/Chrome_ChildIOT +0.020',
    );
    // No bytes from peers: no price per MB, and nothing grew against itself.
    expect(comparePair(cdn, cdn).p2pCpuCost).toEqual({
      extraCores: 0,
      cpuMsPerPeerMb: null,
      byThread: [],
    });
  });

  it("reads a process's threads: the first one as main, CPU ticks that grow with work", () => {
    expect(threadLabel(10, 10, 'chromium')).toBe('main');
    expect(threadLabel(10, 11, 'WebRTC_W_and_N ')).toBe('WebRTC_W_and_N');
    const before = threadTicks(process.pid);
    const cpuAtStart = process.cpuUsage().user;
    // Spin for 100 ms of CPU (not of wall time: the machine may be busy).
    while (process.cpuUsage().user - cpuAtStart < 100_000) Math.sqrt(Math.random());
    const after = threadTicks(process.pid);
    expect(Object.keys(after)).toContain('main');
    expect(after.main! - (before.main ?? 0)).toBeGreaterThanOrEqual(5);
    expect(threadTicks(2 ** 22 + 12345)).toEqual({});
  });

  it('does not call a target met when either run of the pair had a problem', () => {
    const make = (delivery: 'p2p' | 'cdn', p2pBytes: number, problems: string[]) =>
      runFigures(
        { ...live3, viewers: 6, delivery },
        {
          start: moment(0, 0, []),
          windowStart: moment(10_000, 0, []),
          end: moment(40_000, 1000, [
            counters({ httpBytes: 1000, p2pBytes, startupMs: 1000 }),
            counters({ httpBytes: 1000, p2pBytes, startupMs: 1000 }),
            counters({ httpBytes: 1000, p2pBytes, startupMs: 1000 }),
            counters({ httpBytes: 1000, p2pBytes, startupMs: 1000 }),
            counters({ httpBytes: 1000, p2pBytes, startupMs: 1000 }),
            counters({}), // its page never loaded
          ]),
        },
        [],
        problems,
      );
    const pair = comparePair(
      make('p2p', 9000, []),
      make('cdn', 0, ['the player page changed during the run']),
    );
    expect(pair.problems).toEqual([
      'P2P run: 1 of 6 viewers never started playing',
      'CDN-only run: the player page changed during the run',
      'CDN-only run: 1 of 6 viewers never started playing',
    ]);
    const verdict = liveSwarmTarget(pair);
    expect(verdict.offloadMet).toBe(true);
    expect(verdict.valid).toBe(false);
    expect(verdict.met).toBe(false);
  });
});

describe('code under test', () => {
  it('flags a rebuild of the player, the engine or node-peer between two stamps', () => {
    const before: CodeStamp = {
      playerBundle: '/assets/index-AAAA.js',
      engineBuiltAt: '2026-01-01T00:00:00.000Z',
      nodePeerBuiltAt: '2026-01-01T00:00:00.000Z',
    };
    expect(codeChanges(before, { ...before })).toEqual([]);
    const problems = codeChanges(before, {
      playerBundle: '/assets/index-BBBB.js',
      engineBuiltAt: '2026-01-01T00:05:00.000Z',
      nodePeerBuiltAt: before.nodePeerBuiltAt,
    });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('index-AAAA.js → /assets/index-BBBB.js');
    expect(problems[1]).toContain('p2p-engine');
  });
});

describe('swarm segment sourcing', () => {
  const viewer = (
    index: number,
    segments: Array<
      [
        number,
        'http' | 'p2p' | 'mixed',
        number,
        (CdnReason | null)?,
        { atMs: number; bufferSec: number; latencySec: number }?,
      ]
    >,
  ): ViewerDiagnostics => ({
    index,
    joinedAtMs: index * 2000,
    segments: segments.map(([sequence, source, seenAtMs, cdnReason, delivery]) => ({
      sequence,
      source,
      cdnReason: cdnReason ?? null,
      fromStore: false,
      sizeBytes: 1000,
      seenAtMs,
      deliveredAtMs: delivery?.atMs ?? null,
      bufferedAheadSec: delivery?.bufferSec ?? null,
      latencySec: delivery?.latencySec ?? null,
    })),
    logs: [],
    peerDetails: null,
    console: [],
    pageFetches: [],
  });

  it('counts, per segment played in the window, how many viewers took it from the CDN', () => {
    const sourcing = segmentSourcing(
      [
        viewer(0, [
          [1, 'http', 500], // before the window: ignored
          [2, 'http', 2000, 'elected'],
          [3, 'http', 4000, 'deadline'],
        ]),
        viewer(1, [
          [2, 'p2p', 2100],
          [3, 'mixed', 4100, 'fallback'],
        ]),
        viewer(2, [
          [2, 'p2p', 2200],
          [3, 'p2p', 9000], // after the window: ignored
        ]),
      ],
      { from: 1000, to: 5000 },
    );
    expect(sourcing.segments).toBe(2);
    expect(sourcing.cdnFetchersHistogram).toEqual({ '1': 1, '2': 1 });
    expect(sourcing.meanCdnFetchersPerSegment).toBe(1.5);
    expect(sourcing.perViewer).toEqual([
      { index: 0, http: 2, p2p: 0, mixed: 0, fromStore: 0, latencySecMedian: null },
      { index: 1, http: 0, p2p: 1, mixed: 1, fromStore: 0, latencySecMedian: null },
      { index: 2, http: 0, p2p: 1, mixed: 0, fromStore: 0, latencySecMedian: null },
    ]);
    expect(sourcing.bySequence).toEqual(['2: h0e p1 p2', '3: h0d m1f']);
    // Without delivery records, the misses are still listed, with no margins.
    expect(sourcing.misses).toEqual([
      {
        sequence: 3,
        viewer: 0,
        reason: 'deadline',
        bufferedAheadSec: null,
        latencySec: null,
        afterFirstDeliveryMs: null,
      },
      {
        sequence: 3,
        viewer: 1,
        reason: 'fallback',
        bufferedAheadSec: null,
        latencySec: null,
        afterFirstDeliveryMs: null,
      },
    ]);
  });

  it("lists each miss with the viewer's margin and lateness, and each viewer's median latency", () => {
    const sourcing = segmentSourcing(
      [
        viewer(0, [
          [10, 'http', 2000, 'elected', { atMs: 1900, bufferSec: 4.8, latencySec: 6.9 }],
          [11, 'p2p', 4000, null, { atMs: 3950, bufferSec: 4.7, latencySec: 6.8 }],
          [12, 'http', 6000, 'elected', { atMs: 5900, bufferSec: 4.9, latencySec: 7.1 }],
        ]),
        viewer(1, [
          [10, 'p2p', 2000, null, { atMs: 2150, bufferSec: 3.3, latencySec: 5.4 }],
          [11, 'http', 4000, 'elected', { atMs: 3700, bufferSec: 3.4, latencySec: 5.3 }],
          [12, 'http', 6000, 'deadline', { atMs: 6720, bufferSec: 1.4, latencySec: 5.2 }],
        ]),
        viewer(2, [
          [10, 'p2p', 2000, null, { atMs: 2900, bufferSec: 4.4, latencySec: 6.4 }],
          [11, 'mixed', 4000, 'unsigned', { atMs: 4600, bufferSec: 4.4, latencySec: 6.4 }],
        ]),
      ],
      { from: 1000, to: 7000 },
    );
    expect(sourcing.perViewer.map((v) => v.latencySecMedian)).toEqual([6.9, 5.3, 6.4]);
    expect(sourcing.misses).toEqual([
      {
        sequence: 12,
        viewer: 1,
        reason: 'deadline',
        bufferedAheadSec: 1.4,
        latencySec: 5.2,
        afterFirstDeliveryMs: 820,
      },
      {
        sequence: 11,
        viewer: 2,
        reason: 'unsigned',
        bufferedAheadSec: 4.4,
        latencySec: 6.4,
        afterFirstDeliveryMs: 900,
      },
    ]);
    expect(missesLine(sourcing)).toBe(
      'v0 6.9 s; v1 5.3 s: 12d (buffer 1.4 s, +820 ms); v2 6.4 s: 11u (buffer 4.4 s, +900 ms)',
    );
  });
});

describe('page start-up steps', () => {
  it('finds how long the player script ran, and when the playback info, media playlist, init and first segment arrived', () => {
    const page = (index: number, fetches: Array<[string, number, number]>): ViewerDiagnostics => ({
      index,
      joinedAtMs: 0,
      segments: [],
      logs: [],
      peerDetails: null,
      console: [],
      pageFetches: fetches.map(([path, startMs, endMs]) => ({ path, startMs, endMs })),
    });
    const startups = pageStartups([
      page(0, [
        ['/assets/index-x.js', 10, 60],
        ['/live/s/240p/seg_00012.m4s', 400, 700],
        ['/api/playback/s', 100, 150],
        ['/live/s/master.m3u8', 160, 200],
        ['/live/s/240p/index.m3u8', 210, 260],
        ['/live/s/240p/init_0.mp4', 270, 300],
        ['/live/s/240p/seg_00011.m4s', 300, 500],
        ['/live/s/240p/index.m3u8', 2000, 2050],
        ['/config.json', 80, 90],
        ['/config.json', 900, 910], // a later reload: not the first request
      ]),
      page(1, [
        ['/assets/index-x.js', 10, 40],
        ['/config.json', 90, 95],
        ['/api/playback/s', 100, 350],
      ]),
      page(2, [['/api/playback/s', 100, 300]]),
    ]);
    expect(startups[0]).toEqual({
      index: 0,
      scriptRunMs: 20,
      playbackInfoMs: 150,
      mediaPlaylistMs: 260,
      initSegmentMs: 300,
      firstSegmentMs: 500,
    });
    expect(startups[1]).toMatchObject({
      scriptRunMs: 50,
      playbackInfoMs: 350,
      firstSegmentMs: null,
    });
    // No script or config fetch recorded: no script run.
    expect(startups[2]).toMatchObject({ scriptRunMs: null, playbackInfoMs: 300 });
    expect(medianPageStartup(startups)).toEqual({
      scriptRunMs: 35,
      playbackInfoMs: 300,
      mediaPlaylistMs: 260,
      initSegmentMs: 300,
      firstSegmentMs: 500,
    });
  });
});

describe('coral-peer stats lines', () => {
  it('reads a stats line and ignores anything else', () => {
    expect(parseFleetLine('not json')).toBeNull();
    expect(parseFleetLine('{"type":"log"}')).toBeNull();
    expect(parseFleetLine('{"type":"stats","peers":"x","process":{}}')).toBeNull();
    const line = parseFleetLine(
      JSON.stringify({
        type: 'stats',
        elapsedMs: 1000,
        process: { rssBytes: 1, cpuPercent: 2, cpuTotalMs: 3, eventLoopDelayP99Ms: 4 },
        peers: [
          {
            index: 0,
            state: 'playing',
            error: null,
            engine: { httpBytes: 10, p2pBytes: 30, peers: 2, trackerConnected: true },
            player: { stalls: 1, stallMs: 40, startupMs: 800, positionSec: 12 },
          },
          { index: 1, state: 'failed', error: null, engine: null, player: null },
        ],
      }),
    );
    expect(line).not.toBeNull();
    const [playing, failed] = line!.peers.map(peerCounters);
    expect(playing).toMatchObject({
      httpBytes: 10,
      p2pBytes: 30,
      peers: 2,
      trackerConnected: true,
      stalls: 1,
      stallMs: 40,
      startupMs: 800,
      positionSec: 12,
      error: null,
    });
    expect(failed).toMatchObject({ httpBytes: 0, startupMs: null, error: 'failed' });
  });
});

describe('swarm offload chart', () => {
  it('draws the measured offload and the (N-1)/N bound against N', () => {
    const pair = (scenario: 'live' | 'vod', viewers: number, offloadWindow: number) =>
      ({ scenario, viewers, offloadWindow, offloadWhole: offloadWindow }) as Parameters<
        typeof offloadChart
      >[0][number];
    const svg = offloadChart(
      [pair('live', 6, 0.8), pair('live', 24, 0.9), pair('vod', 6, 0.5)],
      'offload',
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('LIVE, window');
    expect(svg).toContain('VOD, window');
    expect(svg).toContain('bound (N-1)/N');
    // LIVE has two points, VOD one (drawn as a circle each), the bound two.
    expect(svg.match(/<circle/g)?.length).toBe(2 + 1 + 1 + 2);
  });
});
