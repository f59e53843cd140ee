import {
  AbortedError,
  EngineError,
  type Cancelable,
  type Clock,
  type EngineConfig,
  type EngineStats,
  type PartRequest,
  type PartResult,
  type PlaybackUpdate,
  type PlaylistUpdate,
  type SegmentRequest,
  type SegmentResult,
  type TimerId,
  type TransferTiming,
} from '@coral-cdn/p2p-engine';
import type {
  FragmentLoaderContext,
  HlsConfig,
  Loader,
  LoaderCallbacks,
  LoaderConfiguration,
  LoaderContext,
  LoaderStats,
} from 'hls.js';
import { createLoaderStats } from '../../src/loader-stats.js';
import type { CoralEngineLike } from '../../src/integration.js';
import { emptyEngineStats } from '../../src/stats.js';

/** A manual clock: time moves only when a test says so. */
export class FakeClock implements Clock {
  private current = 1_000;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): TimerId {
    const id = this.nextId++;
    this.timers.set(id, { at: this.current + Math.max(0, delayMs), callback });
    return id;
  }

  clearTimeout(id: TimerId): void {
    this.timers.delete(id as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  /** Move time forward, running due timers in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let nextId: number | null = null;
      let nextAt = Infinity;
      for (const [id, timer] of this.timers) {
        if (timer.at <= target && timer.at < nextAt) {
          nextAt = timer.at;
          nextId = id;
        }
      }
      if (nextId === null) break;
      const timer = this.timers.get(nextId)!;
      this.timers.delete(nextId);
      this.current = Math.max(this.current, timer.at);
      timer.callback();
    }
    this.current = target;
  }
}

/** One `loadSegment` call of the fake engine, settled by the test. */
export interface PendingLoad {
  request: SegmentRequest;
  canceled: boolean;
  resolve(result: SegmentResult): void;
  reject(error: Error): void;
}

/** Records what the integration tells the engine; segment loads are settled by hand. */
export class FakeEngine implements CoralEngineLike {
  readonly playlists: PlaylistUpdate[] = [];
  readonly activeRenditions: string[] = [];
  readonly playback: PlaybackUpdate[] = [];
  readonly stallReports: boolean[] = [];
  readonly startupReports: number[] = [];
  readonly loads: PendingLoad[] = [];
  /** What `adoptSegment` was given. */
  readonly adopted: Array<{ request: SegmentRequest; bytes: Uint8Array; timing: TransferTiming }> =
    [];
  /** `leavesToPlayer` answers this (the real engine: true before the first frame). */
  leavesFragmentsToPlayer = false;
  config: EngineConfig;
  statsOverride: Partial<EngineStats> = {};

  constructor(p2pEnabled = true) {
    this.config = { p2pEnabled } as EngineConfig;
  }

  get stats(): EngineStats {
    return { ...emptyEngineStats(), p2pEnabled: this.config.p2pEnabled, ...this.statsOverride };
  }

  setPlaylist(update: PlaylistUpdate): void {
    this.playlists.push(update);
  }

  setActiveRendition(rendition: string): void {
    this.activeRenditions.push(rendition);
  }

  setPlayback(update: PlaybackUpdate): void {
    this.playback.push(update);
  }

  reportStall(stalled: boolean): void {
    this.stallReports.push(stalled);
  }

  reportStartup(startupMs: number): void {
    this.startupReports.push(startupMs);
  }

  leavesToPlayer(): boolean {
    return this.leavesFragmentsToPlayer;
  }

  adoptSegment(request: SegmentRequest, bytes: Uint8Array, timing: TransferTiming): void {
    this.adopted.push({ request, bytes, timing });
  }

  loadSegment(request: SegmentRequest): Cancelable<SegmentResult> {
    let settle!: Omit<PendingLoad, 'request' | 'canceled'>;
    const promise = new Promise<SegmentResult>((resolve, reject) => {
      settle = { resolve, reject };
    });
    const pending: PendingLoad = { request, canceled: false, ...settle };
    this.loads.push(pending);
    return {
      promise,
      cancel: () => {
        if (pending.canceled) return;
        pending.canceled = true;
        settle.reject(new AbortedError('canceled by the loader'));
      },
    };
  }
}

/** A fake engine that also loads LL parts, each answered at once with `partBytes` bytes. */
export class FakePartEngine extends FakeEngine {
  readonly partLoads: PartRequest[] = [];
  partBytes = 1_000;
  /** As a `DeferredEngine` before the engine exists: parts are left to hls.js. */
  waiting = false;

  loadPart(request: PartRequest): Cancelable<PartResult> {
    this.partLoads.push(request);
    const timing = { startedAtMs: 0, firstByteAtMs: 1, endedAtMs: 2 };
    return {
      promise: Promise.resolve({ bytes: new Uint8Array(this.partBytes), source: 'p2p', timing }),
      cancel: () => undefined,
    };
  }
}

export function engineDestroyedError(): Error {
  return new EngineError('destroyed', 'engine destroyed');
}

/** Stands in for hls.js's default loader (`config.loader`): records loads, settled by hand. */
export class FakeDefaultLoader implements Loader<LoaderContext> {
  static instances: FakeDefaultLoader[] = [];
  context: LoaderContext | null = null;
  stats: LoaderStats = createLoaderStats();
  callbacks: LoaderCallbacks<LoaderContext> | null = null;
  aborted = false;
  destroyed = false;

  constructor(readonly hlsConfig: HlsConfig) {
    FakeDefaultLoader.instances.push(this);
  }

  load(
    context: LoaderContext,
    _config: LoaderConfiguration,
    callbacks: LoaderCallbacks<LoaderContext>,
  ): void {
    // As hls.js's BaseLoader.
    if (this.stats.loading.start) throw new Error('Loader can only be used once.');
    this.stats.loading.start = performance.now();
    this.context = context;
    this.callbacks = callbacks;
  }

  /** Answer like hls.js's XHR loader does. */
  succeed(data: ArrayBuffer | string): void {
    const size = typeof data === 'string' ? data.length : data.byteLength;
    this.stats.loaded = this.stats.total = size;
    this.callbacks!.onSuccess(
      { url: this.context!.url, data, code: 200 },
      this.stats,
      this.context!,
      null,
    );
  }

  abort(): void {
    this.aborted = true;
    this.callbacks?.onAbort?.(this.stats, this.context!, null);
  }

  destroy(): void {
    this.destroyed = true;
  }

  getCacheAge(): number | null {
    return 7;
  }

  getResponseHeader(name: string): string | null {
    return name === 'x-cache' ? 'HIT' : null;
  }
}

export const hlsConfigWithFakeLoader = { loader: FakeDefaultLoader } as unknown as HlsConfig;

export interface FragOptions {
  sn?: number | 'initSegment';
  level?: number;
  type?: 'main' | 'audio' | 'subtitle';
  start?: number;
  duration?: number;
  url?: string;
  byteRangeStartOffset?: number;
  rangeStart?: number;
  rangeEnd?: number;
  /** An LL-HLS part: `true` for part 0, or the part's index. */
  part?: boolean | number;
}

/** A loader context as hls.js's fragment loader builds it. */
export function fragContext(options: FragOptions = {}): FragmentLoaderContext {
  const sn = options.sn ?? 3;
  const url = options.url ?? `http://edge.test/vod/demo/240p/seg${String(sn)}.m4s`;
  return {
    url,
    type: 'media-fragment',
    responseType: 'arraybuffer',
    headers: {},
    // As hls.js's createLoaderContext: 0/0 for a whole file.
    rangeStart: options.rangeStart ?? 0,
    rangeEnd: options.rangeEnd ?? 0,
    frag: {
      sn,
      level: options.level ?? 0,
      type: options.type ?? 'main',
      start: options.start ?? 6,
      duration: options.duration ?? 2,
      url,
      byteRangeStartOffset: options.byteRangeStartOffset,
    },
    part:
      options.part === undefined || options.part === false
        ? null
        : { index: options.part === true ? 0 : options.part },
  } as unknown as FragmentLoaderContext;
}

export function loaderConfig(
  overrides: Partial<LoaderConfiguration['loadPolicy']> = {},
): LoaderConfiguration {
  return {
    loadPolicy: {
      maxTimeToFirstByteMs: 10_000,
      maxLoadTimeMs: 120_000,
      timeoutRetry: null,
      errorRetry: null,
      ...overrides,
    },
    timeout: 120_000,
    maxRetry: 0,
    retryDelay: 0,
    maxRetryDelay: 0,
  };
}

export type CallbackEvent =
  | {
      kind: 'success';
      data: ArrayBuffer;
      stats: LoaderStats;
      url: string;
      code: number | undefined;
    }
  | { kind: 'progress'; data: ArrayBuffer | string }
  | { kind: 'error'; code: number; text: string }
  | { kind: 'timeout' }
  | { kind: 'abort' };

/** Callbacks that record what the loader reported, in order. */
export function recordingCallbacks(): {
  events: CallbackEvent[];
  callbacks: LoaderCallbacks<FragmentLoaderContext>;
} {
  const events: CallbackEvent[] = [];
  return {
    events,
    callbacks: {
      onSuccess: (response, stats) =>
        events.push({
          kind: 'success',
          data: response.data as ArrayBuffer,
          stats: structuredClone(stats),
          url: response.url,
          code: response.code,
        }),
      onProgress: (_stats, _context, data) => events.push({ kind: 'progress', data }),
      onError: (error) => events.push({ kind: 'error', code: error.code, text: error.text }),
      onTimeout: () => events.push({ kind: 'timeout' }),
      onAbort: () => events.push({ kind: 'abort' }),
    },
  };
}

/** Let pending promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** A media element for the observer: real EventTarget events, state set by the test. */
export class FakeMedia extends EventTarget {
  currentTime = 0;
  paused = true;
  seeking = false;
  ended = false;
  playbackRate = 1;
  autoplay = false;
  ranges: Array<[number, number]> = [];

  get buffered() {
    const ranges = this.ranges;
    return {
      length: ranges.length,
      start: (index: number) => ranges[index]![0],
      end: (index: number) => ranges[index]![1],
    };
  }

  fire(type: string): void {
    this.dispatchEvent(new Event(type));
  }
}
