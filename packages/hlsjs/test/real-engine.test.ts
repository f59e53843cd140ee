import { webcrypto } from 'node:crypto';
import {
  CoralEngine,
  HttpError,
  type Cancelable,
  type EngineConfig,
  type EnginePlatform,
  type HttpGetRequest,
  type HttpGetResponse,
} from '@coral-cdn/p2p-engine';
import Hls from 'hls.js';
import { describe, expect, it } from 'vitest';
import { CoralHlsIntegration } from '../src/integration.js';
import { createLoaderStats } from '../src/loader-stats.js';
import { FakeHls, levelDetails } from './support/fake-hls.js';
import {
  FakeClock,
  flush,
  FakeDefaultLoader,
  fragContext,
  hlsConfigWithFakeLoader,
  loaderConfig,
  recordingCallbacks,
} from './support/fakes.js';

/**
 * The adapter over the real engine, with no tracker and no peers (the tracker is never
 * started): every segment comes over the engine's HTTP client, here a scripted one on a fake
 * clock. Checks that the engine's timing and memory semantics come out right in hls.js's stats.
 */
function setup(engineConfig: Partial<EngineConfig> = {}) {
  const clock = new FakeClock();
  const requests: string[] = [];
  const segmentBytes = new Uint8Array(200_000).fill(9);
  const http = {
    get(request: HttpGetRequest): Cancelable<HttpGetResponse> {
      requests.push(request.url);
      const promise = new Promise<HttpGetResponse>((resolve, reject) => {
        if (!request.url.endsWith('.m4s')) {
          clock.setTimeout(() => reject(new HttpError(404, request.url)), 5);
          return;
        }
        let firstByteAtMs = 0;
        clock.setTimeout(() => {
          firstByteAtMs = clock.now();
          request.onProgress?.(1000);
        }, 300);
        clock.setTimeout(() => {
          request.onProgress?.(segmentBytes.byteLength);
          resolve({ status: 200, bytes: segmentBytes, firstByteAtMs });
        }, 800);
      });
      return { promise, cancel: () => undefined };
    },
  };
  const platform: EnginePlatform = {
    clock,
    http,
    createWebSocket: () => {
      throw new Error('no tracker in this test');
    },
    createPeerConnection: () => {
      throw new Error('no peers in this test');
    },
    subtle: webcrypto.subtle,
    random: () => 0.5,
  };
  const engine = new CoralEngine(
    platform,
    {
      streamId: 'demo',
      trackerUrl: 'ws://tracker.test/ws',
      token: 't',
      publicKey: 'A'.repeat(43),
    },
    engineConfig,
  );
  const integration = new CoralHlsIntegration({ engine, clock });
  const hls = new FakeHls();
  hls.levels = [{ url: ['http://edge.test/vod/demo/240p/index.m3u8'] }];
  integration.attach(hls.asHls());
  hls.trigger(Hls.Events.LEVEL_LOADED, {
    level: 0,
    details: levelDetails('http://edge.test/vod/demo/240p/index.m3u8', [
      { sn: 0, start: 0 },
      { sn: 1, start: 2 },
    ]),
    stats: createLoaderStats(),
  });
  return { clock, engine, integration, requests, segmentBytes };
}

async function runFor(clock: FakeClock, ms: number) {
  for (let t = 0; t < ms; t += 50) {
    clock.advance(50);
    await flush();
  }
}

describe('adapter over the real engine (HTTP only)', () => {
  it('a fragment goes over the engine’s HTTP; hls.js sees that transfer’s timing; a repeat comes from memory', async () => {
    // No start-up hand-off: that is the next test.
    const { clock, engine, integration, requests, segmentBytes } = setup({ connectHoldMaxMs: 0 });
    const Loader = integration.hlsConfig.fLoader!;
    const loader = new Loader(hlsConfigWithFakeLoader);
    const first = recordingCallbacks();
    const requestedAt = clock.now();
    loader.load(
      fragContext({ sn: 1, level: 0, start: 2, url: 'http://edge.test/vod/demo/240p/seg1.m4s' }),
      loaderConfig(),
      first.callbacks,
    );
    await runFor(clock, 1_500);
    const success = first.events.find((e) => e.kind === 'success');
    if (success?.kind !== 'success') throw new Error(`no success: ${JSON.stringify(first.events)}`);
    expect(requests).toContain('http://edge.test/vod/demo/240p/seg1.m4s');
    expect(success.stats.loaded).toBe(segmentBytes.byteLength);
    expect(success.stats.loading.start).toBe(requestedAt);
    expect(success.stats.loading.first).toBe(requestedAt + 300);
    expect(success.stats.loading.end).toBeGreaterThanOrEqual(requestedAt + 800);
    expect(engine.stats.httpBytes).toBe(segmentBytes.byteLength);
    expect(engine.stats.segmentsFromHttp).toBe(1);

    // hls.js asks again (a seek back): answered from the engine's memory, no new transfer.
    await runFor(clock, 10_000);
    const again = new Loader(hlsConfigWithFakeLoader);
    const second = recordingCallbacks();
    const segmentRequests = requests.filter((u) => u.endsWith('.m4s')).length;
    again.load(
      fragContext({ sn: 1, level: 0, start: 2, url: 'http://edge.test/vod/demo/240p/seg1.m4s' }),
      loaderConfig(),
      second.callbacks,
    );
    await flush();
    const repeat = second.events.find((e) => e.kind === 'success');
    if (repeat?.kind !== 'success') throw new Error('no success from memory');
    expect(requests.filter((u) => u.endsWith('.m4s')).length).toBe(segmentRequests);
    expect(engine.stats.segmentsFromStore).toBe(1);
    expect(repeat.stats.loading.end).toBe(clock.now());
    expect(repeat.stats.loading.first - repeat.stats.loading.start).toBe(300);
    expect(repeat.stats.loading.end - repeat.stats.loading.first).toBe(
      success.stats.loading.end - success.stats.loading.first,
    );
    engine.destroy();
  });

  it('before the first frame hls.js fetches the fragment itself; the engine counts and keeps it', async () => {
    const { clock, engine, integration, requests, segmentBytes } = setup();
    const Loader = integration.hlsConfig.fLoader!;
    const seg1 = () =>
      fragContext({ sn: 1, level: 0, start: 2, url: 'http://edge.test/vod/demo/240p/seg1.m4s' });
    const first = recordingCallbacks();
    new Loader(hlsConfigWithFakeLoader).load(seg1(), loaderConfig(), first.callbacks);
    const own = FakeDefaultLoader.instances.at(-1)!;
    expect(own.context?.url).toBe('http://edge.test/vod/demo/240p/seg1.m4s');
    own.succeed(segmentBytes.slice().buffer);
    await flush();
    expect(first.events.map((e) => e.kind)).toEqual(['success']);
    expect(requests.filter((u) => u.endsWith('.m4s'))).toEqual([]);
    expect(engine.stats.httpBytes).toBe(segmentBytes.byteLength);
    expect(engine.stats.segmentsFromHttp).toBe(1);
    expect(engine.stats.cdnReasons.startup).toBe(1);
    expect(integration.stats.passthroughBytes).toBe(0);

    // First frame: the engine loads fragments again, and has the adopted one in memory.
    engine.reportStartup(400);
    const again = recordingCallbacks();
    new Loader(hlsConfigWithFakeLoader).load(seg1(), loaderConfig(), again.callbacks);
    await flush();
    expect(again.events.map((e) => e.kind)).toEqual(['progress', 'success']);
    expect(engine.stats.segmentsFromStore).toBe(1);
    const next = recordingCallbacks();
    new Loader(hlsConfigWithFakeLoader).load(
      fragContext({ sn: 0, level: 0, start: 0, url: 'http://edge.test/vod/demo/240p/seg0.m4s' }),
      loaderConfig(),
      next.callbacks,
    );
    await runFor(clock, 1_500);
    expect(next.events.map((e) => e.kind)).toEqual(['progress', 'success']);
    expect(requests.filter((u) => u.endsWith('.m4s'))).toEqual([
      'http://edge.test/vod/demo/240p/seg0.m4s',
    ]);
    expect(engine.stats.segmentsFromHttp).toBe(2);
    expect(engine.stats.cdnReasons.startup).toBe(1);
    engine.destroy();
  });
});
