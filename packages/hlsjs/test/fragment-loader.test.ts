import {
  HttpError,
  type PartRequest,
  type SegmentRequest,
  type SegmentResult,
} from '@coral-cdn/p2p-engine';
import type { FragmentLoaderContext } from 'hls.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { createFragmentLoaderClass } from '../src/fragment-loader.js';
import type { SegmentRouter } from '../src/router.js';
import {
  FakeClock,
  FakeDefaultLoader,
  FakeEngine,
  engineDestroyedError,
  flush,
  fragContext,
  hlsConfigWithFakeLoader,
  loaderConfig,
  recordingCallbacks,
} from './support/fakes.js';

/**
 * A router that sends every numbered fragment to the engine (or, when the engine leaves it to
 * the player, to the default loader), and counts passthrough bytes.
 */
function setup() {
  const clock = new FakeClock();
  const engine = new FakeEngine();
  const passthrough: number[] = [];
  const parts: number[] = [];
  const adopted: Array<{ sequence: number; bytes: Uint8Array; loadedBytes: number }> = [];
  const router: SegmentRouter = {
    clock,
    route: (context: FragmentLoaderContext): SegmentRequest | null =>
      typeof context.frag.sn === 'number' && !context.part
        ? {
            rendition: '240p',
            sequence: context.frag.sn,
            url: context.url,
            startSec: context.frag.start,
            durationSec: context.frag.duration,
          }
        : null,
    load: (request) => engine.loadSegment(request),
    leavesToPlayer: () => engine.leavesToPlayer(),
    adopt: (request, bytes, stats) =>
      adopted.push({ sequence: request.sequence, bytes, loadedBytes: stats.loaded }),
    countPassthrough: (bytes) => passthrough.push(bytes),
    countPart: (bytes) => parts.push(bytes),
  };
  const Loader = createFragmentLoaderClass(router);
  lastRouter = router;
  return { clock, engine, passthrough, parts, adopted, Loader };
}

let lastRouter: SegmentRouter | null = null;
/** The router of the last `setup()`. */
const router = (): SegmentRouter => lastRouter!;

function result(
  bytes: Uint8Array,
  timing: SegmentResult['timing'],
  fromStore = false,
  source: SegmentResult['source'] = 'p2p',
): SegmentResult {
  return { bytes, timing, fromStore, source, cdnReason: source === 'p2p' ? null : 'deadline' };
}

beforeEach(() => {
  FakeDefaultLoader.instances = [];
});

describe('fragment loader → engine', () => {
  it('asks the engine for the fragment it was given', () => {
    const { engine, Loader } = setup();
    const loader = new Loader(hlsConfigWithFakeLoader);
    const { callbacks } = recordingCallbacks();
    loader.load(fragContext({ sn: 7, start: 14, duration: 2.5 }), loaderConfig(), callbacks);
    expect(engine.loads.map(({ request: { onProgress: _progress, ...rest } }) => rest)).toEqual([
      {
        rendition: '240p',
        sequence: 7,
        url: 'http://edge.test/vod/demo/240p/seg7.m4s',
        startSec: 14,
        durationSec: 2.5,
      },
    ]);
    expect(FakeDefaultLoader.instances[0]!.context).toBeNull();
  });

  it('keeps stats.loaded current while the engine receives bytes (hls.js abandon rules read it)', () => {
    const { clock, engine, Loader } = setup();
    const loader = new Loader(hlsConfigWithFakeLoader);
    const { callbacks } = recordingCallbacks();
    loader.load(fragContext({ sn: 3, start: 6, duration: 2 }), loaderConfig(), callbacks);
    clock.advance(40);
    engine.loads[0]!.request.onProgress?.(16_384, 100_000);
    expect(loader.stats.loaded).toBe(16_384);
    expect(loader.stats.total).toBe(100_000);
    expect(loader.stats.loading.first).toBe(clock.now());
    clock.advance(40);
    engine.loads[0]!.request.onProgress?.(50_000, 100_000);
    expect(loader.stats.loaded).toBe(50_000);
    expect(loader.stats.loading.first).toBe(clock.now() - 40);
    loader.abort();
    engine.loads[0]!.request.onProgress?.(90_000, 100_000);
    expect(loader.stats.loaded).toBe(50_000);
  });

  it('shares one stats object with the default loader, as hls.js keeps frag.stats = loader.stats', () => {
    const { Loader } = setup();
    const loader = new Loader(hlsConfigWithFakeLoader);
    expect(loader.stats).toBe(FakeDefaultLoader.instances[0]!.stats);
  });

  it('reports the real transfer: request, first byte, end, size and bandwidth', async () => {
    const { clock, engine, Loader } = setup();
    const loader = new Loader(hlsConfigWithFakeLoader);
    const { events, callbacks } = recordingCallbacks();
    loader.load(fragContext(), loaderConfig(), callbacks);
    const startedAt = clock.now();
    expect(loader.stats.loading.start).toBe(startedAt);
    clock.advance(900);
    const bytes = new Uint8Array(250_000).fill(5);
    engine.loads[0]!.resolve(
      result(bytes, {
        startedAtMs: startedAt + 10,
        firstByteAtMs: startedAt + 210,
        endedAtMs: startedAt + 900,
      }),
    );
    await flush();
    const success = events.find((e) => e.kind === 'success');
    expect(success).toBeDefined();
    if (success?.kind !== 'success') return;
    expect(success.stats.loading).toEqual({
      start: startedAt + 10,
      first: startedAt + 210,
      end: startedAt + 900,
    });
    expect(success.stats.loaded).toBe(250_000);
    expect(success.stats.total).toBe(250_000);
    expect(success.stats.bwEstimate).toBeCloseTo((250_000 * 8000) / 690, 5);
    expect(success.code).toBe(200);
    expect(success.url).toBe('http://edge.test/vod/demo/240p/seg3.m4s');
  });

  it('a segment served from memory reports its earlier transfer, moved to end now', async () => {
    const { clock, engine, Loader } = setup();
    clock.advance(60_000);
    const loader = new Loader(hlsConfigWithFakeLoader);
    const { events, callbacks } = recordingCallbacks();
    loader.load(fragContext(), loaderConfig(), callbacks);
    // Prefetched from a peer 50 s ago: 300 ms to first byte, 1.2 s of transfer.
    engine.loads[0]!.resolve(
      result(
        new Uint8Array(400_000),
        { startedAtMs: 10_000, firstByteAtMs: 10_300, endedAtMs: 11_500 },
        true,
      ),
    );
    await flush();
    const success = events.find((e) => e.kind === 'success');
    if (success?.kind !== 'success') throw new Error('no success');
    const now = clock.now();
    expect(success.stats.loading.end).toBe(now);
    expect(success.stats.loading.end - success.stats.loading.first).toBe(1_200);
    expect(success.stats.loading.first - success.stats.loading.start).toBe(300);
    expect(success.stats.bwEstimate).toBeCloseTo((400_000 * 8000) / 1_200, 5);
  });

  it('hands hls.js a copy of the bytes (hls.js may transfer its buffer to a worker), progress first', async () => {
    const { clock, engine, Loader } = setup();
    const loader = new Loader(hlsConfigWithFakeLoader);
    const { events, callbacks } = recordingCallbacks();
    loader.load(fragContext(), loaderConfig(), callbacks);
    const engineBytes = new Uint8Array([1, 2, 3, 4, 5]);
    const now = clock.now();
    engine.loads[0]!.resolve(
      result(engineBytes, { startedAtMs: now, firstByteAtMs: now, endedAtMs: now }),
    );
    await flush();
    expect(events.map((e) => e.kind)).toEqual(['progress', 'success']);
    const success = events[1]!;
    if (success.kind !== 'success') throw new Error('no success');
    expect([...new Uint8Array(success.data)]).toEqual([1, 2, 3, 4, 5]);
    expect(success.data).not.toBe(engineBytes.buffer);
    // Detaching what hls.js got leaves the engine's bytes intact.
    structuredClone(success.data, { transfer: [success.data] });
    expect([...engineBytes]).toEqual([1, 2, 3, 4, 5]);
  });

  it('abort cancels the engine load, reports onAbort once, and ignores a late answer', async () => {
    const { clock, engine, Loader } = setup();
    const loader = new Loader(hlsConfigWithFakeLoader);
    const { events, callbacks } = recordingCallbacks();
    loader.load(fragContext(), loaderConfig(), callbacks);
    loader.abort();
    expect(engine.loads[0]!.canceled).toBe(true);
    expect(loader.stats.aborted).toBe(true);
    const now = clock.now();
    engine.loads[0]!.resolve(
      result(new Uint8Array(3), { startedAtMs: now, firstByteAtMs: now, endedAtMs: now }),
    );
    await flush();
    expect(events.map((e) => e.kind)).toEqual(['abort']);
    expect(clock.pending).toBe(0);
  });

  it('destroy cancels the engine load without calling back', async () => {
    const { engine, Loader } = setup();
    const loader = new Loader(hlsConfigWithFakeLoader);
    const { events, callbacks } = recordingCallbacks();
    loader.load(fragContext(), loaderConfig(), callbacks);
    loader.destroy();
    await flush();
    expect(engine.loads[0]!.canceled).toBe(true);
    expect(events).toEqual([]);
    expect(FakeDefaultLoader.instances[0]!.destroyed).toBe(true);
  });

  it('an HTTP failure is reported with its status', async () => {
    const { engine, Loader } = setup();
    const loader = new Loader(hlsConfigWithFakeLoader);
    const { events, callbacks } = recordingCallbacks();
    loader.load(fragContext(), loaderConfig(), callbacks);
    engine.loads[0]!.reject(new HttpError(503, 'http://edge.test/x.m4s'));
    await flush();
    expect(events).toEqual([
      { kind: 'error', code: 503, text: 'HTTP 503 for http://edge.test/x.m4s' },
    ]);
  });

  it('retries per loadPolicy.errorRetry: 5xx after the back-off, 4xx never', async () => {
    const { clock, engine, Loader } = setup();
    const errorRetry = { maxNumRetry: 2, retryDelayMs: 1_000, maxRetryDelayMs: 8_000 };
    const loader = new Loader(hlsConfigWithFakeLoader);
    const { events, callbacks } = recordingCallbacks();
    loader.load(fragContext(), loaderConfig({ errorRetry }), callbacks);
    engine.loads[0]!.reject(new HttpError(502, 'u'));
    await flush();
    expect(engine.loads).toHaveLength(1);
    clock.advance(999);
    expect(engine.loads).toHaveLength(1);
    clock.advance(1);
    expect(engine.loads).toHaveLength(2);
    expect(loader.stats.retry).toBe(1);
    engine.loads[1]!.reject(new HttpError(502, 'u'));
    await flush();
    clock.advance(2_000); // exponential: 1 s × 2^1
    expect(engine.loads).toHaveLength(3);
    engine.loads[2]!.reject(new HttpError(502, 'u'));
    await flush();
    expect(events).toEqual([{ kind: 'error', code: 502, text: 'HTTP 502 for u' }]);

    const second = new Loader(hlsConfigWithFakeLoader);
    const recorded = recordingCallbacks();
    second.load(fragContext(), loaderConfig({ errorRetry }), recorded.callbacks);
    engine.loads[3]!.reject(new HttpError(404, 'u'));
    await flush();
    clock.advance(10_000);
    expect(engine.loads).toHaveLength(4);
    expect(recorded.events).toEqual([{ kind: 'error', code: 404, text: 'HTTP 404 for u' }]);
  });

  it('times out after loadPolicy.maxLoadTimeMs: cancels and reports onTimeout', async () => {
    const { clock, engine, Loader } = setup();
    const loader = new Loader(hlsConfigWithFakeLoader);
    const { events, callbacks } = recordingCallbacks();
    loader.load(fragContext(), loaderConfig({ maxLoadTimeMs: 5_000 }), callbacks);
    clock.advance(4_999);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(engine.loads[0]!.canceled).toBe(true);
    await flush();
    expect(events).toEqual([{ kind: 'timeout' }]);
  });

  it('with loadPolicy.timeoutRetry, a timed-out load is tried again', async () => {
    const { clock, engine, Loader } = setup();
    const loader = new Loader(hlsConfigWithFakeLoader);
    const { events, callbacks } = recordingCallbacks();
    const timeoutRetry = { maxNumRetry: 1, retryDelayMs: 0, maxRetryDelayMs: 0 };
    loader.load(fragContext(), loaderConfig({ maxLoadTimeMs: 1_000, timeoutRetry }), callbacks);
    clock.advance(1_000);
    expect(engine.loads).toHaveLength(2);
    expect(engine.loads[0]!.canceled).toBe(true);
    const now = clock.now();
    engine.loads[1]!.resolve(
      result(new Uint8Array(10), { startedAtMs: now, firstByteAtMs: now, endedAtMs: now }),
    );
    await flush();
    expect(events.map((e) => e.kind)).toEqual(['progress', 'success']);
    expect(loader.stats.retry).toBe(1);
    expect(loader.stats.aborted).toBe(false);
  });

  it('falls back to the default loader when the engine is destroyed mid-load', async () => {
    const { engine, Loader, passthrough } = setup();
    const loader = new Loader(hlsConfigWithFakeLoader);
    const { events, callbacks } = recordingCallbacks();
    const context = fragContext();
    loader.load(context, loaderConfig(), callbacks);
    engine.loads[0]!.reject(engineDestroyedError());
    await flush();
    const fallback = FakeDefaultLoader.instances[0]!;
    expect(fallback.context).toBe(context);
    fallback.succeed(new ArrayBuffer(42));
    expect(events.map((e) => e.kind)).toEqual(['success']);
    expect(passthrough).toEqual([42]);
  });
});

describe('fragment loader → engine parts', () => {
  it('an LL-HLS part the router gives the engine is loaded by engine.loadPart, not hls.js', async () => {
    const { parts } = setup();
    const asked: PartRequest[] = [];
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const PartLoader = createFragmentLoaderClass({
      ...router(),
      routePart: (context) => ({
        rendition: '240p',
        sequence: context.frag.sn as number,
        part: 0,
        url: context.url,
        startSec: context.frag.start,
      }),
      loadPart: (request) => {
        asked.push(request);
        const timing = { startedAtMs: 0, firstByteAtMs: 1, endedAtMs: 2 };
        return {
          promise: Promise.resolve({ bytes, source: 'p2p' as const, timing }),
          cancel: () => undefined,
        };
      },
    });
    const loader = new PartLoader(hlsConfigWithFakeLoader);
    const { events, callbacks } = recordingCallbacks();
    loader.load(fragContext({ sn: 12, part: true }), loaderConfig(), callbacks);
    await flush();
    expect(asked).toEqual([expect.objectContaining({ sequence: 12, part: 0 })]);
    expect(FakeDefaultLoader.instances[0]!.context).toBeNull();
    expect(events.map((e) => e.kind)).toEqual(['progress', 'success']);
    expect(parts).toEqual([]);
  });
});

describe('fragment loader → hls.js default loader', () => {
  it('LL-HLS parts go to the default loader, counted as parts (CDN media), not passthrough', () => {
    const { engine, Loader, passthrough, parts } = setup();
    const loader = new Loader(hlsConfigWithFakeLoader);
    const { events, callbacks } = recordingCallbacks();
    const context = fragContext({ sn: 12, part: true });
    loader.load(context, loaderConfig(), callbacks);
    expect(engine.loads).toEqual([]);
    FakeDefaultLoader.instances[0]!.succeed(new ArrayBuffer(2_000));
    expect(events.map((e) => e.kind)).toEqual(['success']);
    expect(parts).toEqual([2_000]);
    expect(passthrough).toEqual([]);
  });

  it('init segments go to the default loader with the same context, counted as passthrough', () => {
    const { engine, Loader, passthrough } = setup();
    const loader = new Loader(hlsConfigWithFakeLoader);
    const { events, callbacks } = recordingCallbacks();
    const context = fragContext({
      sn: 'initSegment',
      url: 'http://edge.test/vod/demo/240p/init_2.mp4',
    });
    loader.load(context, loaderConfig(), callbacks);
    expect(engine.loads).toEqual([]);
    const fallback = FakeDefaultLoader.instances[0]!;
    expect(fallback.context).toBe(context);
    fallback.succeed(new ArrayBuffer(1_234));
    expect(events.map((e) => e.kind)).toEqual(['success']);
    expect(passthrough).toEqual([1_234]);
    expect(loader.getCacheAge?.()).toBe(7);
    expect(loader.getResponseHeader?.('x-cache')).toBe('HIT');
  });

  it('a fragment the engine leaves to the player: the default loader fetches it, the engine adopts a copy', () => {
    const { engine, Loader, passthrough, adopted } = setup();
    engine.leavesFragmentsToPlayer = true;
    const loader = new Loader(hlsConfigWithFakeLoader);
    const { events, callbacks } = recordingCallbacks();
    const context = fragContext({ sn: 4 });
    loader.load(context, loaderConfig(), callbacks);
    expect(engine.loads).toEqual([]);
    const fallback = FakeDefaultLoader.instances[0]!;
    expect(fallback.context).toBe(context);
    const body = new Uint8Array(3_000).fill(7).buffer;
    fallback.succeed(body);
    expect(events.map((e) => e.kind)).toEqual(['success']);
    const success = events[0]!;
    if (success.kind === 'success') expect(success.data).toBe(body);
    // Counted once, as the engine's CDN bytes, not as passthrough.
    expect(passthrough).toEqual([]);
    expect(adopted.map((a) => [a.sequence, a.bytes.byteLength, a.loadedBytes])).toEqual([
      [4, 3_000, 3_000],
    ]);
    // A copy: hls.js may transfer (detach) the buffer it was given.
    expect(adopted[0]!.bytes.buffer).not.toBe(body);
    expect(adopted[0]!.bytes.every((b) => b === 7)).toBe(true);
  });

  it('after the first frame the same fragment goes to the engine again', () => {
    const { engine, Loader } = setup();
    engine.leavesFragmentsToPlayer = true;
    new Loader(hlsConfigWithFakeLoader).load(
      fragContext({ sn: 4 }),
      loaderConfig(),
      recordingCallbacks().callbacks,
    );
    engine.leavesFragmentsToPlayer = false;
    new Loader(hlsConfigWithFakeLoader).load(
      fragContext({ sn: 5 }),
      loaderConfig(),
      recordingCallbacks().callbacks,
    );
    expect(engine.loads.map((l) => l.request.sequence)).toEqual([5]);
    expect(
      FakeDefaultLoader.instances.map(
        (l) => (l.context as FragmentLoaderContext | null)?.frag.sn ?? null,
      ),
    ).toEqual([4, null]);
  });

  it('abort of a delegated load aborts the default loader, which reports onAbort', () => {
    const { Loader } = setup();
    const loader = new Loader(hlsConfigWithFakeLoader);
    const { events, callbacks } = recordingCallbacks();
    loader.load(fragContext({ sn: 'initSegment' }), loaderConfig(), callbacks);
    loader.abort();
    expect(FakeDefaultLoader.instances[0]!.aborted).toBe(true);
    expect(events.map((e) => e.kind)).toEqual(['abort']);
  });
});
