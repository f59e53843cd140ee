import Hls from 'hls.js';
import type { LoaderStats } from 'hls.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { CoralHlsIntegration } from '../src/integration.js';
import { createLoaderStats } from '../src/loader-stats.js';
import { FakeHls, levelDetails, type FragSpec } from './support/fake-hls.js';
import {
  FakeClock,
  FakeDefaultLoader,
  FakeEngine,
  FakeMedia,
  FakePartEngine,
  flush,
  fragContext,
  hlsConfigWithFakeLoader,
  loaderConfig,
  recordingCallbacks,
} from './support/fakes.js';

const E = Hls.Events;
const MASTER = 'http://edge.test/vod/demo';

function setup(engine: FakeEngine | null = new FakeEngine()) {
  const clock = new FakeClock();
  const integration = new CoralHlsIntegration({ engine, clock });
  const hls = new FakeHls();
  hls.levels = [{ url: [`${MASTER}/240p/index.m3u8`] }, { url: [`${MASTER}/480p/index.m3u8`] }];
  integration.attach(hls.asHls());
  return { clock, engine, integration, hls };
}

function loadLevel(
  hls: FakeHls,
  level: number,
  rendition: string,
  frags: FragSpec[] = [
    { sn: 0, start: 0 },
    { sn: 1, start: 2 },
  ],
) {
  const details = levelDetails(`${MASTER}/${rendition}/index.m3u8`, frags);
  hls.levels[level]!.details = details;
  hls.trigger(E.LEVEL_LOADED, { level, details, stats: createLoaderStats() });
  return details;
}

beforeEach(() => {
  FakeDefaultLoader.instances = [];
});

describe('CoralHlsIntegration: what hls.js knows reaches the engine', () => {
  it('a loaded level becomes the engine playlist of its rendition (folder name), and the active one', () => {
    const { engine, hls } = setup();
    loadLevel(hls, 0, '240p', [
      { sn: 10, start: 0, duration: 2 },
      { sn: 11, start: 2, duration: 2 },
      { sn: 12, start: 4, duration: 1.5 },
      { sn: 13, start: 5.5, byteRangeStartOffset: 1000 },
      { sn: 14, start: 7.5, gap: true },
      { sn: 15, start: 9.5, noUrl: true },
    ]);
    expect(engine!.playlists).toEqual([
      {
        rendition: '240p',
        playlistUrl: `${MASTER}/240p/index.m3u8`,
        live: false,
        segments: [
          { sequence: 10, url: `${MASTER}/240p/seg10.m4s`, startSec: 0, durationSec: 2 },
          { sequence: 11, url: `${MASTER}/240p/seg11.m4s`, startSec: 2, durationSec: 2 },
          { sequence: 12, url: `${MASTER}/240p/seg12.m4s`, startSec: 4, durationSec: 1.5 },
        ],
      },
    ]);
    expect(engine!.activeRenditions).toEqual(['240p']);
  });

  it('passes the live flag and live reloads (LEVEL_UPDATED)', () => {
    const { engine, hls } = setup();
    const url = `${MASTER}/240p/index.m3u8`;
    hls.trigger(E.LEVEL_LOADED, {
      level: 0,
      details: levelDetails(url, [{ sn: 5, start: 10 }], true),
      stats: createLoaderStats(),
    });
    hls.trigger(E.LEVEL_UPDATED, {
      level: 0,
      details: levelDetails(
        url,
        [
          { sn: 5, start: 10 },
          { sn: 6, start: 12 },
        ],
        true,
      ),
    });
    expect(engine!.playlists.map((p) => [p.live, p.segments.map((s) => s.sequence)])).toEqual([
      [true, [5]],
      [true, [5, 6]],
    ]);
  });

  it('names an LL playlist by its own URL, without the delivery directives of each reload', () => {
    const { engine, hls } = setup();
    const url = `${MASTER}/240p/index.m3u8`;
    for (const [part, sns] of [
      [1, [5]],
      [2, [5, 6]],
    ] as const) {
      hls.trigger(E.LEVEL_UPDATED, {
        level: 0,
        details: levelDetails(
          `${url}?token=t1&_HLS_msn=6&_HLS_part=${part}&_HLS_skip=YES`,
          sns.map((sn) => ({ sn, start: sn * 2 })),
          true,
        ),
      });
    }
    // One playlist address for both reloads: the engine keeps one playlist and polls it.
    expect(engine!.playlists.map((p) => p.playlistUrl)).toEqual([
      `${url}?token=t1`,
      `${url}?token=t1`,
    ]);
  });

  it('an ABR switch moves the engine to the new rendition once its playlist is known', () => {
    const { engine, hls } = setup();
    hls.trigger(E.LEVEL_SWITCHING, { level: 0 });
    loadLevel(hls, 0, '240p');
    hls.trigger(E.LEVEL_SWITCHING, { level: 1 });
    expect(engine!.activeRenditions).toEqual(['240p']);
    loadLevel(hls, 1, '480p');
    expect(engine!.activeRenditions).toEqual(['240p', '480p']);
    hls.trigger(E.LEVEL_SWITCHING, { level: 0 });
    expect(engine!.activeRenditions).toEqual(['240p', '480p', '240p']);
    // A reload of a level that is no longer being loaded does not move the engine back.
    loadLevel(hls, 1, '480p');
    expect(engine!.activeRenditions).toEqual(['240p', '480p', '240p']);
  });

  it('fragment starts re-timed by PTS reach the engine once, after a short delay', () => {
    const { clock, engine, hls } = setup();
    const details = loadLevel(hls, 0, '240p');
    (details.fragments[1] as { start: number }).start = 2.04;
    hls.trigger(E.LEVEL_PTS_UPDATED, { details });
    hls.trigger(E.LEVEL_PTS_UPDATED, { details });
    expect(engine!.playlists).toHaveLength(1);
    clock.advance(250);
    expect(engine!.playlists).toHaveLength(2);
    expect(engine!.playlists[1]!.segments[1]!.startSec).toBe(2.04);
  });

  it('the media element drives setPlayback, stalls and start-up', () => {
    const { clock, engine, hls, integration } = setup();
    const media = new FakeMedia();
    hls.trigger(E.MEDIA_ATTACHED, { media });
    media.fire('play');
    clock.advance(800);
    media.paused = false;
    media.fire('playing');
    expect(engine!.startupReports).toEqual([800]);
    media.currentTime = 3;
    media.fire('timeupdate');
    expect(engine!.playback.at(-1)).toEqual({ positionSec: 3, rate: 1 });
    media.fire('waiting');
    expect(engine!.playback.at(-1)).toEqual({ positionSec: 3, rate: 0 });
    clock.advance(1_500);
    media.fire('playing');
    expect(engine!.stallReports).toEqual([true, false]);
    expect(integration.stats.stalls).toBe(1);
    expect(integration.stats.stallMs).toBe(1_500);
    expect(integration.stats.startupMs).toBe(800);
    expect(integration.stats.playbackState).toBe('playing');
  });

  it('detach removes every listener', () => {
    const { engine, hls, integration } = setup();
    expect(hls.listenerCount()).toBeGreaterThan(0);
    integration.detach();
    expect(hls.listenerCount()).toBe(0);
    loadLevel(hls, 0, '240p');
    expect(engine!.playlists).toEqual([]);
  });

  it('attaching twice is refused', () => {
    const { integration } = setup();
    expect(() => integration.attach(new FakeHls().asHls())).toThrow(/already attached/);
  });
});

describe('CoralHlsIntegration: which fragments the engine serves', () => {
  function loadWith(integration: CoralHlsIntegration, context = fragContext()) {
    const Loader = integration.hlsConfig.fLoader!;
    const loader = new Loader(hlsConfigWithFakeLoader);
    loader.load(context, loaderConfig(), recordingCallbacks().callbacks);
    return loader;
  }

  it('a whole numbered fragment of a known main level goes to the engine', () => {
    const { engine, hls, integration } = setup();
    loadLevel(hls, 0, '240p');
    loadWith(integration, fragContext({ sn: 1, level: 0, start: 2, duration: 2 }));
    expect(engine!.loads.map((l) => l.request)).toEqual([
      {
        onProgress: expect.any(Function),
        rendition: '240p',
        sequence: 1,
        url: `${MASTER}/240p/seg1.m4s`,
        startSec: 2,
        durationSec: 2,
      },
    ]);
  });

  it('reports every fragment the engine delivers (onSegment), before hls.js gets it', async () => {
    const deliveries: Array<{
      sequence: number;
      source: string;
      cdnReason: string | null;
      sizeBytes: number;
      fromStore: boolean;
    }> = [];
    const engine = new FakeEngine();
    const integration = new CoralHlsIntegration({
      engine,
      clock: new FakeClock(),
      onSegment: (d) =>
        deliveries.push({
          sequence: d.sequence,
          source: d.source,
          cdnReason: d.cdnReason,
          sizeBytes: d.sizeBytes,
          fromStore: d.fromStore,
        }),
    });
    const hls = new FakeHls();
    hls.levels = [{ url: [`${MASTER}/240p/index.m3u8`] }];
    integration.attach(hls.asHls());
    loadLevel(hls, 0, '240p');
    const Loader = integration.hlsConfig.fLoader!;
    const recorded = recordingCallbacks();
    new Loader(hlsConfigWithFakeLoader).load(
      fragContext({ sn: 1, level: 0 }),
      loaderConfig(),
      recorded.callbacks,
    );
    engine.loads[0]!.resolve({
      bytes: new Uint8Array(77),
      source: 'mixed',
      cdnReason: 'fallback',
      fromStore: true,
      timing: { startedAtMs: 0, firstByteAtMs: 1, endedAtMs: 2 },
    });
    await flush();
    expect(deliveries).toEqual([
      { sequence: 1, source: 'mixed', cdnReason: 'fallback', sizeBytes: 77, fromStore: true },
    ]);
    expect(recorded.events.map((e) => e.kind)).toEqual(['progress', 'success']);
  });

  it('an LL-HLS part before the first frame goes to the engine (to be kept), unless it has not come yet', async () => {
    const engine = new FakePartEngine();
    engine.leavesFragmentsToPlayer = true;
    const { hls, integration } = setup(engine);
    loadLevel(hls, 0, '240p');
    engine.waiting = true;
    loadWith(integration, fragContext({ sn: 1, level: 0, part: 0 }));
    expect(FakeDefaultLoader.instances.at(-1)!.context).not.toBeNull();
    engine.waiting = false;
    loadWith(integration, fragContext({ sn: 1, level: 0, part: 1 }));
    await flush();
    expect(engine.partLoads.map((p) => [p.rendition, p.sequence, p.part])).toEqual([
      ['240p', 1, 1],
    ]);
    expect(FakeDefaultLoader.instances.at(-1)!.context).toBeNull();
  });

  it('a fragment hls.js loaded itself before the first frame: adopted with that transfer’s timing, and reported as CDN bytes', () => {
    const deliveries: Array<{
      sequence: number;
      source: string;
      cdnReason: string | null;
      sizeBytes: number;
    }> = [];
    const engine = new FakeEngine();
    engine.leavesFragmentsToPlayer = true;
    const integration = new CoralHlsIntegration({
      engine,
      clock: new FakeClock(),
      onSegment: (d) =>
        deliveries.push({
          sequence: d.sequence,
          source: d.source,
          cdnReason: d.cdnReason,
          sizeBytes: d.sizeBytes,
        }),
    });
    const hls = new FakeHls();
    hls.levels = [{ url: [`${MASTER}/240p/index.m3u8`] }];
    integration.attach(hls.asHls());
    loadLevel(hls, 0, '240p');
    const recorded = recordingCallbacks();
    new integration.hlsConfig.fLoader!(hlsConfigWithFakeLoader).load(
      fragContext({ sn: 1, level: 0 }),
      loaderConfig(),
      recorded.callbacks,
    );
    const own = FakeDefaultLoader.instances.at(-1)!;
    const startMs = own.stats.loading.start;
    own.stats.loading.first = startMs + 40;
    own.stats.loading.end = startMs + 90;
    own.succeed(new ArrayBuffer(55));
    expect(engine.loads).toEqual([]);
    expect(
      engine.adopted.map((a) => [a.request.rendition, a.request.sequence, a.bytes.byteLength]),
    ).toEqual([['240p', 1, 55]]);
    expect(engine.adopted[0]!.timing).toEqual({
      startedAtMs: startMs,
      firstByteAtMs: startMs + 40,
      endedAtMs: startMs + 90,
    });
    expect(deliveries).toEqual([
      { sequence: 1, source: 'http', cdnReason: 'startup', sizeBytes: 55 },
    ]);
    expect(recorded.events.map((e) => e.kind)).toEqual(['success']);
    expect(integration.stats.passthroughBytes).toBe(0);
  });

  it.each([
    ['an init segment', { sn: 'initSegment' as const }],
    ['a level whose playlist the engine was never given', { level: 1 }],
    ['an alternate audio fragment', { type: 'audio' as const }],
    ['a byte-range fragment', { byteRangeStartOffset: 0, rangeStart: 0, rangeEnd: 5000 }],
    ['an LL-HLS part', { part: true }],
  ])('%s goes to hls.js’s default loader', (_name, options) => {
    const { engine, hls, integration } = setup();
    loadLevel(hls, 0, '240p');
    const context = fragContext({ level: 0, ...options });
    loadWith(integration, context);
    expect(engine!.loads).toEqual([]);
    expect(FakeDefaultLoader.instances.at(-1)!.context).toBe(context);
  });

  it('with the engine’s P2P switched off, fragments go to the default loader', () => {
    const { engine, hls, integration } = setup(new FakeEngine(false));
    loadLevel(hls, 0, '240p');
    loadWith(integration);
    expect(engine!.loads).toEqual([]);
    expect(FakeDefaultLoader.instances.at(-1)!.context).not.toBeNull();
  });

  it('bytes hls.js loads itself (playlists, init segments) are counted as passthrough', () => {
    const { integration } = setup();
    const Playlist = integration.hlsConfig.pLoader!;
    const playlistLoader = new Playlist(hlsConfigWithFakeLoader);
    const playlistText = '#EXTM3U\n#EXT-X-ENDLIST\n';
    playlistLoader.load(
      { url: `${MASTER}/master.m3u8`, type: 'manifest', responseType: 'text' } as never,
      loaderConfig(),
      recordingCallbacks().callbacks as never,
    );
    expect(playlistLoader.stats).toBe(FakeDefaultLoader.instances[0]!.stats);
    FakeDefaultLoader.instances[0]!.succeed(playlistText);
    loadWith(integration, fragContext({ sn: 'initSegment' }));
    FakeDefaultLoader.instances[1]!.succeed(new ArrayBuffer(700));
    expect(integration.stats.passthroughBytes).toBe(playlistText.length + 700);
    expect(integration.stats.passthroughRequests).toBe(2);
    // An LL part is CDN media: counted apart, and in the offload ratio's denominator.
    loadWith(integration, fragContext({ level: 0, part: true }));
    FakeDefaultLoader.instances[2]!.succeed(new ArrayBuffer(3_000));
    expect(integration.stats).toMatchObject({
      partsFromHttp: 1,
      partHttpBytes: 3_000,
      passthroughBytes: playlistText.length + 700,
      offloadRatio: 0,
    });
  });
});

describe('CoralHlsIntegration with P2P off (no engine)', () => {
  function stats(loaded: number): LoaderStats {
    return { ...createLoaderStats(), loaded };
  }

  it('adds no loaders: hls.js runs exactly as configured', () => {
    const { integration } = setup(null);
    expect(integration.hlsConfig).toEqual({});
    expect(integration.p2pEnabled).toBe(false);
  });

  it('counts what hls.js loaded from its events: segments as HTTP, the rest as passthrough', () => {
    const { hls, integration } = setup(null);
    hls.trigger(E.MANIFEST_LOADED, { stats: stats(300) });
    hls.trigger(E.LEVEL_LOADED, {
      level: 0,
      details: levelDetails(`${MASTER}/240p/index.m3u8`, [{ sn: 0, start: 0 }]),
      stats: stats(200),
    });
    hls.trigger(E.FRAG_LOADED, { frag: { sn: 'initSegment', type: 'main', stats: stats(800) } });
    hls.trigger(E.FRAG_LOADED, { frag: { sn: 0, type: 'main', stats: stats(50_000) } });
    hls.trigger(E.FRAG_LOADED, { frag: { sn: 1, type: 'main', stats: stats(60_000) } });
    const s = integration.stats;
    expect(s.httpBytes).toBe(110_000);
    expect(s.segmentsFromHttp).toBe(2);
    expect(s.p2pBytes).toBe(0);
    expect(s.passthroughBytes).toBe(1_300);
    expect(s.p2pEnabled).toBe(false);
    hls.trigger(E.FRAG_LOADED, {
      frag: { sn: 2, type: 'main', stats: stats(0) },
      part: { index: 0, stats: stats(9_000) },
    });
    expect(integration.stats).toMatchObject({ partsFromHttp: 1, partHttpBytes: 9_000 });
    expect(integration.stats.httpBytes).toBe(110_000);
    expect(s.rendition).toBe('240p');
  });
});
