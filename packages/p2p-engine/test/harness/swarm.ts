import {
  CoralEngine,
  HeadlessPlayer,
  type EngineConfig,
  type EnginePlatform,
  type HeadlessPlayerOptions,
  type SegmentRequest,
} from '../../src/index.js';
import { FakeCdn, type CdnContent } from './fake-cdn.js';
import type { FakeClock } from './fake-clock.js';
import { FakeTracker } from './fake-tracker.js';
import { nodeSubtle } from './node-subtle.js';
import { SimNetwork } from './sim-network.js';
import { publicKeyBase64Url } from './stream-fixture.js';

export interface Viewer {
  readonly id: string;
  readonly engine: CoralEngine;
  readonly cdn: FakeCdn;
  readonly platform: EnginePlatform;
  player: HeadlessPlayer | null;
  readonly logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }>;
}

/** A swarm on the fake clock: one sim network, one fake tracker, viewers with their own CDN path. */
export class SimSwarm {
  readonly network: SimNetwork;
  readonly tracker: FakeTracker;
  readonly viewers: Viewer[] = [];
  private seed = 1;

  constructor(
    readonly clock: FakeClock,
    readonly content: CdnContent,
    readonly streamId: string,
  ) {
    this.network = new SimNetwork(clock);
    this.tracker = new FakeTracker(this.network).start();
  }

  addViewer(
    options: {
      config?: Partial<EngineConfig>;
      uplinkBytesPerSec?: number;
      /** One-way delay of the viewer's access link, ms (its distance from the others). */
      accessDelayMs?: number;
      cdnBytesPerSec?: number;
      cdnLatencyMs?: number;
      token?: string;
      refreshToken?: () => Promise<string>;
    } = {},
  ): Viewer {
    const id = `viewer${this.viewers.length + 1}`;
    this.network.addNode(id, options.uplinkBytesPerSec, options.accessDelayMs);
    const cdn = new FakeCdn(
      this.clock,
      this.content,
      options.cdnLatencyMs ?? 40,
      options.cdnBytesPerSec ?? 4 * 1024 * 1024,
    );
    const logs: Viewer['logs'] = [];
    const platform: EnginePlatform = {
      clock: this.clock,
      http: cdn,
      createWebSocket: (url) => this.network.createWebSocket(url),
      createPeerConnection: () => this.network.createPeerConnection(id),
      subtle: nodeSubtle,
      random: () => {
        // Deterministic jitter.
        this.seed = (this.seed * 16807) % 2147483647;
        return this.seed / 2147483647;
      },
      log: (level, message, fields) => logs.push({ level, message, ...(fields ? { fields } : {}) }),
    };
    const engine = new CoralEngine(
      platform,
      {
        streamId: this.streamId,
        trackerUrl: this.tracker.url,
        token: options.token ?? 'test-token',
        publicKey: publicKeyBase64Url,
        ...(options.refreshToken ? { refreshToken: options.refreshToken } : {}),
      },
      { region: 'eu-west', beaconIntervalMs: 0, ...options.config },
    );
    engine.start();
    const viewer: Viewer = { id, engine, cdn, platform, player: null, logs };
    this.viewers.push(viewer);
    return viewer;
  }

  /** Start a headless player (it runs as the fake clock advances). */
  play(
    viewer: Viewer,
    options: Omit<HeadlessPlayerOptions, 'rendition'> & { rendition?: string },
  ): HeadlessPlayer {
    const player = new HeadlessPlayer(viewer.engine, viewer.platform, {
      rendition: '240p',
      ...options,
    });
    viewer.player = player;
    void player.start();
    return player;
  }

  destroy(): void {
    for (const viewer of this.viewers) {
      viewer.player?.destroy();
      viewer.engine.destroy();
    }
  }
}

/** Tell an engine about a VOD/live rendition as the player would on a playlist load. */
export function showPlaylist(
  viewer: Viewer,
  fixture: {
    playlistUrl: string;
    rendition: string;
    segments: ReadonlyArray<{
      sequence: number;
      url: string;
      startSec: number;
      durationSec: number;
    }>;
  },
  live = false,
): void {
  viewer.engine.setPlaylist({
    rendition: fixture.rendition,
    playlistUrl: fixture.playlistUrl,
    live,
    segments: fixture.segments.map(({ sequence, url, startSec, durationSec }) => ({
      sequence,
      url,
      startSec,
      durationSec,
    })),
  });
  viewer.engine.setActiveRendition(fixture.rendition);
}

/** Ask the engine for a segment as the player would. */
/** The player's request for one of a fixture's segments. */
export function segmentRequest(
  fixture: { rendition: string },
  segment: { sequence: number; url: string; startSec: number; durationSec: number },
): SegmentRequest {
  return {
    rendition: fixture.rendition,
    sequence: segment.sequence,
    url: segment.url,
    startSec: segment.startSec,
    durationSec: segment.durationSec,
  };
}

export function requestSegment(
  viewer: Viewer,
  fixture: { rendition: string },
  segment: { sequence: number; url: string; startSec: number; durationSec: number },
) {
  return viewer.engine.loadSegment(segmentRequest(fixture, segment));
}

/** Make a viewer hold every segment of a VOD fixture (loaded over HTTP, as a first viewer would). */
export async function seedAll(
  clock: FakeClock,
  viewer: Viewer,
  fixture: {
    playlistUrl: string;
    rendition: string;
    segments: ReadonlyArray<{
      sequence: number;
      url: string;
      startSec: number;
      durationSec: number;
    }>;
  },
): Promise<void> {
  showPlaylist(viewer, fixture);
  // A seeder has shown its first frame: it is on the network (tracker, hashes, peers).
  viewer.engine.reportStartup(0);
  // Far behind every segment: nothing is urgent, but there is nobody to prefetch from yet.
  viewer.engine.setPlayback({ positionSec: 0, rate: 0 });
  for (const segment of fixture.segments) {
    const load = requestSegment(viewer, fixture, segment);
    let done = false;
    void load.promise.finally(() => (done = true));
    await clock.advanceUntil(() => done, 10_000, 10);
    await load.promise;
  }
}

/** Advance the clock until a promise settles, then return (or throw) its outcome. */
export async function settle<T>(
  clock: FakeClock,
  promise: Promise<T>,
  limitMs = 20_000,
): Promise<T> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await clock.advanceUntil(() => done, limitMs, 10);
  return promise;
}
