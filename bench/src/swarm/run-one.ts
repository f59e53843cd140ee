import { sleep, type Stack } from '@coral-cdn/test-support';
import { BrowserGroup } from './browser-group.js';
import { codeChanges, codeStamp, type CodeStamp } from './code-stamp.js';
import { sampleCpu } from './cpu.js';
import { runFigures, type Moment, type RunFigures, type RunSpec } from './figures.js';
import type { SwarmOptions } from './options.js';
import { PeerGroup } from './peer-group.js';
import { edgeCounters, RENDITION } from './streams.js';
import type { ViewerDiagnostics, ViewerGroup } from './viewers.js';

/** One sample of the run's time series (sums over the viewers joined so far). */
export interface TimelinePoint {
  atMs: number;
  joined: number;
  playing: number;
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  edgeBytesServed: number;
  stalls: number;
  fallbacks: number;
  peerConnections: number;
  loadAverage1m: number;
}

export interface RunResult {
  figures: RunFigures;
  /** ms since the run started at which the steady window began and ended. */
  windowMs: { from: number; to: number };
  timeline: TimelinePoint[];
  diagnostics: ViewerDiagnostics[];
  /** The code under test at the run's start and end (see code-stamp.ts). */
  code: { atStart: CodeStamp; atEnd: CodeStamp };
  /** Node peers: the fleet processes' worst event-loop delay and RSS. */
  fleetHealth: ReturnType<PeerGroup['health']> | null;
  /** Browser P2P runs: start-up of extra joiners into the running swarm (see `--joiners`). */
  joiners: { p2pMs: Array<number | null>; cdnMs: Array<number | null> } | null;
}

export interface RunContext {
  stack: Stack;
  streamId: string;
  options: SwarmOptions;
  log: (line: string) => void;
}

function timelinePoint(moment: Moment): TimelinePoint {
  const sum = (pick: (v: Moment['viewers'][number]) => number) =>
    moment.viewers.reduce((total, v) => total + pick(v), 0);
  return {
    atMs: Math.round(moment.atMs),
    joined: moment.viewers.length,
    playing: moment.viewers.filter((v) => v.startupMs !== null).length,
    httpBytes: sum((v) => v.httpBytes),
    p2pBytes: sum((v) => v.p2pBytes),
    uploadedBytes: sum((v) => v.uploadedBytes),
    edgeBytesServed: moment.edgeBytesServed,
    stalls: sum((v) => v.stalls),
    fallbacks: sum((v) => v.fallbacks),
    peerConnections: sum((v) => v.peers),
    loadAverage1m: Math.round(moment.cpu.loadAverage1m * 100) / 100,
  };
}

/**
 * One run: N viewers join `joinIntervalMs` apart; once all joined and playing (or the settle
 * timeout passed) the steady window of `windowSec` starts. Counters are sampled every
 * `sampleSec` throughout (one loop, so samples never overlap); figures come from the moments
 * before the first join, at the window's start and at its end.
 */
export async function runOne(spec: RunSpec, context: RunContext): Promise<RunResult> {
  const { stack, options } = context;
  const codeAtStart = await codeStamp(stack.player.url);
  const runStartedAtMs = performance.now();
  const p2p = spec.delivery === 'p2p';
  const group: ViewerGroup =
    spec.kind === 'browsers'
      ? await BrowserGroup.launch({
          playerUrl: stack.player.url,
          streamId: context.streamId,
          p2p,
          count: spec.viewers,
          joinIntervalMs: spec.joinIntervalMs,
          runStartedAtMs,
          maxHeight: 240,
        })
      : new PeerGroup({
          originUrl: stack.origin.url,
          streamId: context.streamId,
          rendition: RENDITION,
          p2p,
          count: spec.viewers,
          joinIntervalMs: spec.joinIntervalMs,
          perProcess: options.peersPerProcess,
          // As the player page: 12 s ahead with P2P on, hls.js's default 30 s off.
          bufferSec: p2p ? 12 : 30,
          runStartedAtMs,
        });
  const services = [stack.origin, stack.edge, stack.tracker, stack.player].map((service) => ({
    name: service.name,
    pid: service.process.pid!,
  }));
  const moment = async (): Promise<Moment> => {
    const [viewers, edge] = await Promise.all([group.sample(), edgeCounters(stack.edge.url)]);
    return {
      atMs: performance.now() - runStartedAtMs,
      viewers,
      edgeBytesServed: edge.bytesServed,
      edgeRequests: edge.requests,
      cpu: sampleCpu({
        services,
        peerPids: () => group.peerPids(),
        peersCpuSec: () => group.peersCpuSec(),
      }),
    };
  };

  const joinedAtMs: number[] = [];
  try {
    const timeline: TimelinePoint[] = [];
    const start = await moment();
    timeline.push(timelinePoint(start));
    // Set by the join's callbacks (an object, so that the loop below reads it fresh).
    const joinState: { done: boolean; error: Error | null } = { done: false, error: null };
    const joining = group.join().then(
      () => (joinState.done = true),
      (error: unknown) =>
        (joinState.error = error instanceof Error ? error : new Error(String(error))),
    );
    const sampleMs = options.sampleSec * 1000;
    const windowMs = options.windowSec * 1000;
    let settleDeadlineMs = Number.POSITIVE_INFINITY;
    let windowStart: Moment | null = null;
    let end: Moment | null = null;
    let lastLogMs = 0;
    while (end === null) {
      const tickAtMs = performance.now() - runStartedAtMs;
      const now = await moment();
      timeline.push(timelinePoint(now));
      if (joinState.error !== null) throw joinState.error;
      if (now.atMs - lastLogMs >= 10_000) {
        lastLogMs = now.atMs;
        const point = timeline.at(-1)!;
        context.log(
          `  t=${(now.atMs / 1000).toFixed(0)} s joined ${point.joined}/${spec.viewers} playing ${point.playing}` +
            ` offload so far ${(point.p2pBytes / Math.max(1, point.p2pBytes + point.httpBytes)).toFixed(2)}` +
            ` stalls ${point.stalls} load ${point.loadAverage1m.toFixed(1)}`,
        );
      }
      if (joinState.done && windowStart === null) {
        if (settleDeadlineMs === Number.POSITIVE_INFINITY)
          settleDeadlineMs = now.atMs + options.settleTimeoutSec * 1000;
        const playing = now.viewers.filter((v) => v.startupMs !== null).length;
        if (playing === spec.viewers || now.atMs >= settleDeadlineMs) {
          windowStart = now;
          if (playing < spec.viewers)
            context.log(
              `  ${spec.viewers - playing} viewer(s) not playing after the settle timeout`,
            );
        }
      } else if (windowStart !== null && now.atMs - windowStart.atMs >= windowMs - 50) {
        end = now;
        break;
      }
      const nextMs =
        windowStart === null
          ? tickAtMs + sampleMs
          : Math.min(tickAtMs + sampleMs, windowStart.atMs + windowMs);
      const waitMs = nextMs - (performance.now() - runStartedAtMs);
      if (waitMs > 0) await sleep(waitMs);
    }
    await joining;
    const diagnostics = await group.diagnostics();
    // After the window (its figures are taken): the swarm keeps playing while they join.
    const joiners =
      group instanceof BrowserGroup && spec.delivery === 'p2p' && options.joiners > 0
        ? await group.probeJoiners(options.joiners, (spec.round ?? 1) % 2 === 1)
        : null;
    for (const viewer of diagnostics) joinedAtMs[viewer.index] = viewer.joinedAtMs;
    const codeAtEnd = await codeStamp(stack.player.url);
    return {
      figures: runFigures(
        spec,
        { start, windowStart: windowStart!, end },
        joinedAtMs,
        codeChanges(codeAtStart, codeAtEnd),
      ),
      code: { atStart: codeAtStart, atEnd: codeAtEnd },
      windowMs: { from: Math.round(windowStart!.atMs), to: Math.round(end.atMs) },
      timeline,
      diagnostics,
      fleetHealth: group instanceof PeerGroup ? group.health() : null,
      joiners,
    };
  } finally {
    await group.close();
  }
}
