import {
  CoralEngine,
  defaultEngineConfig,
  emptyCdnReasons,
  HeadlessPlayer,
  type CdnReason,
  type EngineConfig,
  type EnginePlatform,
  type LogLevel,
} from '@coral-cdn/p2p-engine';
import { SimCdnClient, type CdnModel } from './cdn.js';
import type { CohortApproximation } from './cohort-scaling.js';
import { EventClock } from './event-clock.js';
import { FlowNetwork, Link } from './flow-network.js';
import {
  distribution,
  fluidBound,
  type Distribution,
  type RenditionLoad,
  type SegmentBytes,
  type SimSample,
} from './metrics.js';
import { canConnect } from './nat.js';
import { createSigningKey, createSimSubtle, type CryptoCounters } from './node-crypto.js';
import { cdnRttMs, createPathModel } from './paths.js';
import { drawArrivals, drawViewer, type ViewerProfile } from './population.js';
import { seededRandom } from './random.js';
import { RtcFabric, type Host } from './sim-rtc.js';
import { SimSocket } from './sim-socket.js';
import { defaultSimTrackerConfig, SimTracker } from './sim-tracker.js';
import type { SimSpec } from './spec.js';
import { SimStream } from './stream.js';
import { drawTimeFactor } from './transfer-spread.js';

export interface ViewerOutcome {
  readonly rendition: string;
  readonly nat: string;
  readonly uplinkBitsPerSec: number;
  readonly joinedAtSec: number;
  readonly leftAtSec: number | null;
  readonly startupMs: number | null;
  readonly stalls: number;
  readonly stallMs: number;
  readonly playedSec: number;
  readonly p2pBytes: number;
  readonly cdnBytes: number;
  /** Bytes it sent to peers. */
  readonly uploadedBytes: number;
  /** Segments from the CDN by the engine's reason (elected, deadline, alone, ...). */
  readonly cdnReasons: Record<CdnReason, number>;
  readonly segmentsFromP2p: number;
}

export interface SimResult {
  readonly spec: SimSpec;
  readonly samples: SimSample[];
  readonly totals: {
    readonly viewers: number;
    readonly offload: number;
    readonly offloadByRendition: Record<string, number>;
    readonly fluidBound: number;
    readonly cdnEgressBytes: number;
    readonly p2pBytes: number;
    readonly peerConnectionsOpened: number;
    readonly peerConnectionsFailed: number;
    readonly cdnReasons: Record<CdnReason, number>;
    readonly segmentsFromP2p: number;
  };
  /** Validation window (spec.measureWindowSec), as the swarm benchmark measures it. */
  readonly window: {
    startSec: number;
    durationSec: number;
    offload: number;
    stalls: number;
  } | null;
  readonly startupMs: Distribution;
  readonly stallsPerViewer: Distribution;
  readonly stallMsPerViewer: Distribution;
  readonly viewersWithStalls: number;
  readonly trackerMessagesPerSec: Distribution;
  readonly cost: {
    readonly wallSec: number;
    readonly timersFired: number;
    readonly flowRecomputes: number;
    readonly peakRssBytes: number;
    readonly digests: number;
    readonly verifies: number;
    readonly verifyCacheHits: number;
    readonly engineLogs: Record<LogLevel, number>;
  };
  readonly viewers: ViewerOutcome[];
  /**
   * Null: every viewer of the audience was simulated (full fidelity). Otherwise the run is an
   * estimate from sampled cohorts (`simulateCohort`), and `viewers` holds the sampled viewers.
   */
  readonly approximation: CohortApproximation | null;
}

interface SimViewer {
  readonly profile: ViewerProfile;
  readonly host: Host;
  readonly engine: CoralEngine;
  readonly player: HeadlessPlayer;
  readonly joinedAtMs: number;
  leftAtMs: number | null;
  outcome: ViewerOutcome | null;
}

const TRACKER_URL = 'wss://tracker.sim/ws';

/** Engine byte settings in real units, divided by the byte scale (engines see payload bytes). */
export function scaledEngineConfig(spec: SimSpec, profile: ViewerProfile): Partial<EngineConfig> {
  const s = spec.byteScale;
  const e = spec.engine;
  return {
    ...e,
    region: profile.region,
    connectionType: profile.connectionType,
    announcedUploadKbps: Math.round(profile.uplinkBitsPerSec / 1000),
    p2pEnabled: spec.p2p,
    uploadCapBitsPerSec: (profile.uploadCapBitsPerSec ?? e.uploadCapBitsPerSec ?? 20_000_000) / s,
    // Slots per Mbit/s of the real cap: the per-upload minimum is scaled like the cap.
    minUploadSlotBitsPerSec:
      (e.minUploadSlotBitsPerSec ?? defaultEngineConfig.minUploadSlotBitsPerSec) / s,
    segmentMemoryBytes: Math.max(
      64 * 1024,
      (e.segmentMemoryBytes ?? defaultEngineConfig.segmentMemoryBytes) / s,
    ),
    maxMessageBytes: Math.max(
      1024,
      Math.round((e.maxMessageBytes ?? defaultEngineConfig.maxMessageBytes) / s),
    ),
    bufferedHighWaterBytes: Math.max(
      2048,
      (e.bufferedHighWaterBytes ?? defaultEngineConfig.bufferedHighWaterBytes) / s,
    ),
    bufferedLowWaterBytes: Math.max(
      1024,
      (e.bufferedLowWaterBytes ?? defaultEngineConfig.bufferedLowWaterBytes) / s,
    ),
    initialPeerThroughputBytesPerSec:
      (e.initialPeerThroughputBytesPerSec ?? defaultEngineConfig.initialPeerThroughputBytesPerSec) /
      s,
    initialHttpThroughputBytesPerSec:
      (e.initialHttpThroughputBytesPerSec ?? defaultEngineConfig.initialHttpThroughputBytesPerSec) /
      s,
  };
}

/** Run one simulation to its end and return its figures. */
export async function simulate(
  spec: SimSpec,
  onProgress: (line: string) => void = () => undefined,
): Promise<SimResult> {
  const wallStart = performance.now();
  const random = seededRandom(spec.seed);
  const clock = new EventClock();
  const spread = spec.peerTransferSpread;
  const spreadRandom = seededRandom(spec.seed ^ 0x5b7ead);
  const network = new FlowNetwork(
    clock,
    spread ? () => drawTimeFactor(spread, spreadRandom) : null,
  );
  const counters: CryptoCounters = { digests: 0, verifies: 0, verifyCacheHits: 0 };
  const subtle = createSimSubtle(counters);
  const key = createSigningKey();
  const stream = await SimStream.create(
    {
      streamId: spec.scenario.replace(/[^a-z0-9-]/g, '-'),
      live: spec.live,
      renditions: spec.renditions,
      segmentDurationSec: spec.segmentDurationSec,
      segments: spec.segments,
      byteScale: spec.byteScale,
    },
    subtle,
    key.privateKey,
  );
  const cdnEgressByRendition = new Map<string, number>();
  let cdnEgressBytes = 0;
  const cdn: CdnModel = {
    egress: spec.cdn.egressBitsPerSec === null ? null : new Link(spec.cdn.egressBitsPerSec / 8),
    firstByteMs: spec.cdn.firstByteMs,
    onEgress: (wireBytes, rendition) => {
      cdnEgressBytes += wireBytes;
      const key = rendition ?? 'control';
      cdnEgressByRendition.set(key, (cdnEgressByRendition.get(key) ?? 0) + wireBytes);
    },
  };
  const cellular = new Set<Host>();
  const paths = createPathModel(spec.population, (host) => ({ cellular: cellular.has(host) }));
  const fabric = new RtcFabric(
    clock,
    network,
    paths,
    spec.byteScale,
    spec.peerSetup ?? null,
    seededRandom(spec.seed ^ 0x5e70),
  );
  const tracker = new SimTracker(
    clock,
    seededRandom(spec.seed ^ 0x5eed),
    defaultSimTrackerConfig,
    spec.cohortWeight ?? 1,
  );
  const logs: Record<LogLevel, number> = { debug: 0, info: 0, warn: 0, error: 0 };
  const viewers: SimViewer[] = [];
  const active = new Set<SimViewer>();
  let peakRss = process.memoryUsage().rss;

  const join = (leaveAfterMs: number | null): void => {
    const index = viewers.length;
    const profile = spec.homes?.[index] ?? drawViewer(random, spec.population);
    const host: Host = {
      id: `v${index}`,
      up: new Link(profile.uplinkBitsPerSec / 8),
      down: new Link(profile.downlinkBitsPerSec / 8),
      nat: profile.nat,
      region: profile.region,
      lossRate: profile.lossRate,
      accessRttMs: profile.accessRttMs ?? null,
      alive: true,
      channels: new Set(),
    };
    const isCellular = profile.connectionType === 'cellular';
    if (isCellular) cellular.add(host);
    const rttToCdn = profile.accessRttMs ?? cdnRttMs(spec.population, profile.region, isCellular);
    const http = new SimCdnClient(
      clock,
      network,
      stream,
      cdn,
      host.down,
      rttToCdn,
      profile.lossRate,
    );
    const viewerRandom = seededRandom(spec.seed * 7919 + index);
    const platform: EnginePlatform = {
      clock,
      http,
      createWebSocket: () => new SimSocket(clock, rttToCdn / 2, tracker),
      createPeerConnection: () => fabric.createPeerConnection(host),
      subtle,
      random: viewerRandom,
      log: (level, message, fields) => {
        logs[level]++;
        if (process.env.CORAL_SIM_DEBUG && level !== 'debug')
          process.stderr.write(
            `${clock.now()} v${index} ${level} ${message} ${JSON.stringify(fields)}\n`,
          );
      },
    };
    const engine = new CoralEngine(
      platform,
      {
        streamId: stream.options.streamId,
        trackerUrl: TRACKER_URL,
        token: 'sim',
        publicKey: key.publicKeyBase64Url,
      },
      scaledEngineConfig(spec, profile),
    );
    engine.start();
    const player = new HeadlessPlayer(engine, platform, {
      playlistUrl: stream.playlistUrl(profile.rendition),
      rendition: profile.rendition,
      tickMs: spec.player.tickMs,
      bufferTargetSec: spec.player.bufferTargetSec,
      liveSyncSegments: spec.player.liveSyncSegments,
    });
    const viewer: SimViewer = {
      profile,
      host,
      engine,
      player,
      joinedAtMs: clock.now(),
      leftAtMs: null,
      outcome: null,
    };
    viewers.push(viewer);
    active.add(viewer);
    void player.start();
    if (leaveAfterMs !== null)
      clock.setTimeout(() => {
        leave(viewer);
        if (spec.audience.replaceLeavers) join(nextSession());
      }, leaveAfterMs);
  };

  const outcomeOf = (viewer: SimViewer): ViewerOutcome => {
    const stats = viewer.engine.stats;
    const player = viewer.player.stats;
    return {
      rendition: viewer.profile.rendition,
      nat: viewer.profile.nat,
      uplinkBitsPerSec: Math.round(viewer.profile.uplinkBitsPerSec),
      joinedAtSec: viewer.joinedAtMs / 1000,
      leftAtSec: viewer.leftAtMs === null ? null : viewer.leftAtMs / 1000,
      startupMs: player.startupMs,
      stalls: player.stalls,
      stallMs: player.stallMs,
      playedSec: player.playedSec,
      p2pBytes: stats.p2pBytes * spec.byteScale,
      cdnBytes: stats.httpBytes * spec.byteScale,
      uploadedBytes: stats.uploadedBytes * spec.byteScale,
      cdnReasons: stats.cdnReasons,
      segmentsFromP2p: stats.segmentsFromP2p,
    };
  };

  // Bytes of viewers that left, so that totals keep counting them.
  const departed = new Map<string, { p2p: number; http: number }>();
  const leave = (viewer: SimViewer): void => {
    if (!active.delete(viewer)) return;
    viewer.leftAtMs = clock.now();
    viewer.outcome = outcomeOf(viewer);
    const sums = departed.get(viewer.profile.rendition) ?? { p2p: 0, http: 0 };
    const stats = viewer.engine.stats;
    sums.p2p += stats.p2pBytes;
    sums.http += stats.httpBytes;
    departed.set(viewer.profile.rendition, sums);
    viewer.player.destroy();
    viewer.engine.destroy();
  };

  const sessionRandom = seededRandom(spec.seed ^ 0xc0ffee);
  const nextSession = (): number | null =>
    drawArrivals(sessionRandom, { ...spec.audience, viewers: 1 }, 1)[0]?.leaveAfterMs ?? null;

  // The stream: live publishes a full window first (as a channel that has been running).
  if (spec.live) {
    for (let i = 0; i < spec.segments; i++) await stream.publish();
    const publishEvery = (): void => {
      void stream.publish();
      clock.setTimeout(publishEvery, spec.segmentDurationSec * 1000);
    };
    clock.setTimeout(publishEvery, spec.segmentDurationSec * 1000);
  }
  const arrivals = drawArrivals(random, spec.audience, spec.durationSec);
  for (const arrival of arrivals) clock.setTimeout(() => join(arrival.leaveAfterMs), arrival.atMs);

  // Sampling.
  const samples: SimSample[] = [];
  const totalsByRendition = (): Map<string, { p2p: number; http: number }> => {
    const sums = new Map<string, { p2p: number; http: number }>();
    for (const [rendition, d] of departed) sums.set(rendition, { ...d });
    for (const viewer of active) {
      const stats = viewer.engine.stats;
      const sum = sums.get(viewer.profile.rendition) ?? { p2p: 0, http: 0 };
      sum.p2p += stats.p2pBytes;
      sum.http += stats.httpBytes;
      sums.set(viewer.profile.rendition, sum);
    }
    return sums;
  };
  const loads = (): RenditionLoad[] =>
    spec.renditions.map((r) => {
      let count = 0;
      let connectable = 0;
      for (const viewer of active) {
        if (viewer.profile.rendition !== r.name) continue;
        count++;
        if (canConnect(viewer.profile.nat, 'open').ok) connectable++;
      }
      return { bitrateBitsPerSec: r.bitrateBitsPerSec, viewers: count, connectable };
    });
  let previous = totalsByRendition();
  let previousEgress = new Map(cdnEgressByRendition);
  let previousEgressTotal = 0;
  let previousMessages = 0;
  let windowState: {
    startMs: number;
    startTotals: Map<string, { p2p: number; http: number }>;
    stalls: number;
  } | null = null;
  let window: SimResult['window'] = null;
  let stopAtMs = spec.durationSec * 1000;
  const sampleMs = spec.sampleSec * 1000;
  for (let t = sampleMs; t <= stopAtMs + 1e-6; t += sampleMs) {
    await clock.runUntil(t);
    const now = totalsByRendition();
    const byRendition: Record<string, number | null> = {};
    const segmentBytes: Record<string, SegmentBytes> = {};
    let p2p = 0;
    let all = 0;
    for (const r of spec.renditions) {
      const a = now.get(r.name) ?? { p2p: 0, http: 0 };
      const b = previous.get(r.name) ?? { p2p: 0, http: 0 };
      const dp = a.p2p - b.p2p;
      const dh = a.http - b.http;
      byRendition[r.name] = dp + dh > 0 ? dp / (dp + dh) : null;
      segmentBytes[r.name] = { p2p: dp * spec.byteScale, http: dh * spec.byteScale };
      p2p += dp;
      all += dp + dh;
    }
    let uplinks = 0;
    for (const viewer of active)
      if (canConnect(viewer.profile.nat, 'open').ok) uplinks += viewer.profile.uplinkBitsPerSec;
    const renditionLoads = loads();
    const egressByRendition: Record<string, number> = {};
    for (const [name, bytes] of cdnEgressByRendition)
      egressByRendition[name] = ((bytes - (previousEgress.get(name) ?? 0)) * 8) / spec.sampleSec;
    const messages = tracker.messagesIn + tracker.messagesOut;
    samples.push({
      tSec: t / 1000,
      viewers: active.size,
      offload: all > 0 ? p2p / all : null,
      offloadByRendition: byRendition,
      fluidBound: fluidBound(renditionLoads, uplinks),
      cdnEgressBitsPerSec: ((cdnEgressBytes - previousEgressTotal) * 8) / spec.sampleSec,
      cdnEgressBitsPerSecByRendition: egressByRendition,
      trackerMessagesPerSec: (messages - previousMessages) / spec.sampleSec,
      loadsByRendition: Object.fromEntries(
        spec.renditions.map((r, i) => [r.name, renditionLoads[i]!]),
      ),
      connectableUplinkBitsPerSec: uplinks,
      segmentBytesByRendition: segmentBytes,
    });
    previous = now;
    previousEgress = new Map(cdnEgressByRendition);
    previousEgressTotal = cdnEgressBytes;
    previousMessages = messages;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (spec.measureWindowSec !== null && windowState === null) {
      const allJoined = viewers.length >= spec.audience.viewers;
      const allPlaying = [...active].every((v) => v.player.stats.startupMs !== null);
      if (allJoined && allPlaying) {
        windowState = { startMs: t, startTotals: now, stalls: stallsNow() };
        stopAtMs = t + spec.measureWindowSec * 1000;
      }
    }
    if (samples.length % 12 === 0)
      onProgress(
        `t=${(t / 1000).toFixed(0)} s viewers ${active.size} offload ${fmt(samples.at(-1)!.offload)} wall ${((performance.now() - wallStart) / 1000).toFixed(0)} s`,
      );
  }
  function stallsNow(): number {
    let stalls = 0;
    for (const viewer of active) stalls += viewer.player.stats.stalls;
    return stalls;
  }
  if (windowState) {
    const end = totalsByRendition();
    let p2p = 0;
    let all = 0;
    for (const [rendition, a] of end) {
      const b = windowState.startTotals.get(rendition) ?? { p2p: 0, http: 0 };
      p2p += a.p2p - b.p2p;
      all += a.p2p - b.p2p + (a.http - b.http);
    }
    window = {
      startSec: windowState.startMs / 1000,
      durationSec: (clock.now() - windowState.startMs) / 1000,
      offload: all > 0 ? p2p / all : 0,
      stalls: stallsNow() - windowState.stalls,
    };
  }
  const finalTotals = totalsByRendition();
  for (const viewer of active) viewer.outcome = outcomeOf(viewer);
  for (const viewer of [...active]) {
    viewer.player.destroy();
    viewer.engine.destroy();
  }
  const outcomes = viewers.map((v) => v.outcome!);
  let p2pTotal = 0;
  let allTotal = 0;
  const offloadByRendition: Record<string, number> = {};
  for (const [rendition, sums] of finalTotals) {
    p2pTotal += sums.p2p;
    allTotal += sums.p2p + sums.http;
    offloadByRendition[rendition] =
      sums.p2p + sums.http > 0 ? sums.p2p / (sums.p2p + sums.http) : 0;
  }
  const boundSamples = samples.filter((s) => s.viewers > 0);
  const cdnReasons = emptyCdnReasons();
  for (const outcome of outcomes)
    for (const [reason, count] of Object.entries(outcome.cdnReasons))
      cdnReasons[reason as CdnReason] += count;
  const started = outcomes.filter((o) => o.startupMs !== null);
  return {
    spec,
    samples,
    totals: {
      viewers: viewers.length,
      offload: allTotal > 0 ? p2pTotal / allTotal : 0,
      offloadByRendition,
      fluidBound:
        boundSamples.reduce((sum, s) => sum + s.fluidBound, 0) / Math.max(1, boundSamples.length),
      cdnEgressBytes,
      p2pBytes: p2pTotal * spec.byteScale,
      peerConnectionsOpened: fabric.connectionsOpened,
      peerConnectionsFailed: fabric.connectionsFailed,
      cdnReasons,
      segmentsFromP2p: outcomes.reduce((sum, o) => sum + o.segmentsFromP2p, 0),
    },
    window,
    startupMs: distribution(started.map((o) => o.startupMs!)),
    stallsPerViewer: distribution(outcomes.map((o) => o.stalls)),
    stallMsPerViewer: distribution(outcomes.map((o) => o.stallMs)),
    viewersWithStalls: outcomes.filter((o) => o.stalls > 0).length,
    trackerMessagesPerSec: distribution(samples.map((s) => s.trackerMessagesPerSec)),
    cost: {
      wallSec: (performance.now() - wallStart) / 1000,
      timersFired: clock.firedTimers,
      flowRecomputes: network.recomputes,
      peakRssBytes: peakRss,
      digests: counters.digests,
      verifies: counters.verifies,
      verifyCacheHits: counters.verifyCacheHits,
      engineLogs: logs,
    },
    viewers: outcomes,
    approximation: null,
  };
}

function fmt(value: number | null): string {
  return value === null ? '-' : `${(value * 100).toFixed(1)}%`;
}
