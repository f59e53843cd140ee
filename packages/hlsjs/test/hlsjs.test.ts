import type {
  FragLoadedData,
  HlsConfig,
  LoaderCallbacks,
  LoaderConfiguration,
  LoaderContext,
} from 'hls.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { webcrypto } from 'node:crypto';
import type { EnginePlatform } from '@coral-cdn/p2p-engine';
import { createCoralHls } from '../src/create.js';
import { iceServersForPolicy, p2pUnavailableReason } from '../src/browser-platform.js';
import { browserClock, CoralHlsIntegration } from '../src/integration.js';
import { createLoaderStats } from '../src/loader-stats.js';
import { FakeEngine } from './support/fakes.js';

/**
 * The adapter against the real hls.js (the version pinned as devDependency), in Node: hls.js
 * parses real playlists, picks a level and asks our loaders for fragments; only the network
 * (hls.js's default loader) and the engine are stand-ins. Node lacks a few browser globals
 * hls.js touches before media is attached; they are stubbed for this file only.
 */
const MASTER = 'http://edge.test/vod/demo/master.m3u8';
const mediaPlaylist = (initUri: string) =>
  [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    '#EXT-X-TARGETDURATION:2',
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    `#EXT-X-MAP:URI="${initUri}"`,
    '#EXTINF:2.000000,',
    'seg_0.m4s',
    '#EXTINF:2.000000,',
    'seg_1.m4s',
    '#EXTINF:1.500000,',
    'seg_2.m4s',
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
const PLAYLISTS: Record<string, string> = {
  [MASTER]: [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    '#EXT-X-STREAM-INF:BANDWIDTH=464000,RESOLUTION=426x240,CODECS="avc1.42c015,mp4a.40.2"',
    '240p/index.m3u8',
    '#EXT-X-STREAM-INF:BANDWIDTH=1496000,RESOLUTION=854x480,CODECS="avc1.42c01e,mp4a.40.2"',
    '480p/index.m3u8',
    '',
  ].join('\n'),
  'http://edge.test/vod/demo/240p/index.m3u8': mediaPlaylist('init_2.mp4'),
  'http://edge.test/vod/demo/480p/index.m3u8': mediaPlaylist('init_1.mp4'),
};

/** hls.js's default loader stand-in: answers playlists from the table above, media with zeros. */
const requested: string[] = [];
class ScriptedLoader {
  context: LoaderContext | null = null;
  stats = createLoaderStats();
  private timer: ReturnType<typeof setTimeout> | null = null;
  load(
    context: LoaderContext,
    _config: LoaderConfiguration,
    callbacks: LoaderCallbacks<LoaderContext>,
  ) {
    this.context = context;
    requested.push(context.url);
    this.stats.loading.start = performance.now();
    this.timer = setTimeout(() => {
      const text = PLAYLISTS[context.url];
      const data = text ?? new ArrayBuffer(64);
      const now = performance.now();
      this.stats.loading.first = this.stats.loading.end = now;
      this.stats.loaded = this.stats.total =
        typeof data === 'string' ? data.length : data.byteLength;
      callbacks.onSuccess({ url: context.url, data, code: 200 }, this.stats, context, null);
    }, 1);
  }
  abort() {
    if (this.timer) clearTimeout(this.timer);
  }
  destroy() {
    this.abort();
  }
}

const saved: Record<string, PropertyDescriptor | undefined> = {};
function stubGlobal(name: string, value: unknown) {
  saved[name] = Object.getOwnPropertyDescriptor(globalThis, name);
  Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
}

beforeAll(() => {
  stubGlobal('self', globalThis);
  stubGlobal('location', { href: 'http://player.test/' });
  if (!('navigator' in globalThis)) stubGlobal('navigator', { userAgent: 'node' });
  stubGlobal(
    'MediaSource',
    class {
      static isTypeSupported = () => true;
    },
  );
});

afterAll(() => {
  for (const [name, descriptor] of Object.entries(saved)) {
    if (descriptor) Object.defineProperty(globalThis, name, descriptor);
    else Reflect.deleteProperty(globalThis, name);
  }
});

async function until(what: string, check: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const playbackInfo = {
  id: 'demo',
  kind: 'vod' as const,
  manifestUrl: MASTER,
  edge: { url: 'http://edge.test', region: 'eu-west' },
  trackerUrl: 'ws://tracker.test/ws',
  token: 'token',
  tokenExpiresAt: '2030-01-01T00:00:00Z',
  swarmId: 'demo',
  publicKey: 'A'.repeat(43),
};

/** Enough of a media element for hls.js to attach to in Node (its MediaSource never opens). */
function mediaStub(): HTMLMediaElement {
  const none = () => undefined;
  return {
    addEventListener: none,
    removeEventListener: none,
    removeAttribute: none,
    setAttribute: none,
    load: none,
    appendChild: none,
    querySelectorAll: () => [],
  } as unknown as HTMLMediaElement;
}

/** An engine platform whose HTTP never answers and whose tracker sockets are only recorded. */
function engineFreePlatform(sockets: string[]): EnginePlatform {
  return {
    clock: browserClock,
    http: { get: () => ({ promise: new Promise(() => undefined), cancel: () => undefined }) },
    createWebSocket: (url) => {
      sockets.push(url);
      return {
        send: () => undefined,
        close: () => undefined,
        onopen: null,
        onmessage: null,
        onclose: null,
        onerror: null,
      };
    },
    createPeerConnection: () => {
      throw new Error('no peers here');
    },
    subtle: webcrypto.subtle,
    random: () => 0.5,
  };
}

describe('with the real hls.js', () => {
  it('playlists feed the engine, and the first fragment is loaded through it with honest stats', async () => {
    const { default: Hls } = await import('hls.js');
    const engine = new FakeEngine();
    const integration = new CoralHlsIntegration({ engine });
    const hls = new Hls({
      ...integration.hlsConfig,
      loader: ScriptedLoader as unknown as HlsConfig['loader'],
      // Load the first fragment before a media element is attached: Node has no MSE.
      startFragPrefetch: true,
      enableWorker: false,
      debug: false,
    });
    integration.attach(hls);
    const loaded: FragLoadedData[] = [];
    hls.on(Hls.Events.FRAG_LOADED, (_event, data) => loaded.push(data));
    try {
      hls.loadSource(MASTER);
      await until('a fragment request to the engine', () => engine.loads.length > 0);

      expect(engine.playlists[0]).toMatchObject({
        rendition: '240p',
        playlistUrl: 'http://edge.test/vod/demo/240p/index.m3u8',
        live: false,
        segments: [
          {
            sequence: 0,
            url: 'http://edge.test/vod/demo/240p/seg_0.m4s',
            startSec: 0,
            durationSec: 2,
          },
          {
            sequence: 1,
            url: 'http://edge.test/vod/demo/240p/seg_1.m4s',
            startSec: 2,
            durationSec: 2,
          },
          {
            sequence: 2,
            url: 'http://edge.test/vod/demo/240p/seg_2.m4s',
            startSec: 4,
            durationSec: 1.5,
          },
        ],
      });
      expect(engine.activeRenditions).toEqual(['240p']);
      expect(engine.loads[0]!.request).toEqual({
        onProgress: expect.any(Function),
        rendition: '240p',
        sequence: 0,
        url: 'http://edge.test/vod/demo/240p/seg_0.m4s',
        startSec: 0,
        durationSec: 2,
      });
      // The playlists and the init segment went through hls.js's own loader.
      expect(requested).toEqual([
        MASTER,
        'http://edge.test/vod/demo/240p/index.m3u8',
        'http://edge.test/vod/demo/240p/init_2.mp4',
      ]);

      const now = performance.now();
      engine.loads[0]!.resolve({
        bytes: new Uint8Array(100_000),
        source: 'p2p',
        cdnReason: null,
        fromStore: false,
        timing: { startedAtMs: now - 500, firstByteAtMs: now - 400, endedAtMs: now },
      });
      await until('FRAG_LOADED', () => loaded.some((d) => d.frag.sn === 0));
      const stats = loaded.find((d) => d.frag.sn === 0)!.frag.stats;
      expect(stats.loaded).toBe(100_000);
      expect(stats.loading.first - stats.loading.start).toBeCloseTo(100, 6);
      expect(stats.loading.end - stats.loading.first).toBeCloseTo(400, 6);
      expect(integration.stats.passthroughRequests).toBe(3);
    } finally {
      hls.destroy();
    }
  });

  it('an immediate level switch cancels the engine load and moves the engine to the new rendition', async () => {
    const { default: Hls } = await import('hls.js');
    const engine = new FakeEngine();
    const integration = new CoralHlsIntegration({ engine });
    const hls = new Hls({
      ...integration.hlsConfig,
      loader: ScriptedLoader as unknown as HlsConfig['loader'],
      startFragPrefetch: true,
      enableWorker: false,
      debug: false,
    });
    integration.attach(hls);
    try {
      hls.loadSource(MASTER);
      await until('a 240p fragment request', () => engine.loads.length > 0);
      expect(engine.loads[0]!.request.rendition).toBe('240p');
      hls.currentLevel = 1;
      await until('the switch to 480p', () => engine.activeRenditions.includes('480p'));
      // hls.js dropped the 240p fragment in flight: the engine load was cancelled.
      expect(engine.loads[0]!.canceled).toBe(true);
      expect(engine.activeRenditions).toEqual(['240p', '480p']);
      expect(engine.playlists.at(-1)).toMatchObject({
        rendition: '480p',
        playlistUrl: 'http://edge.test/vod/demo/480p/index.m3u8',
      });
    } finally {
      hls.destroy();
    }
  });

  it('createCoralHls: P2P on wires an engine (region from the edge) and Coral’s loaders; off adds nothing', async () => {
    const { default: Hls } = await import('hls.js');
    const playback = playbackInfo;
    const sockets: string[] = [];
    const platform = engineFreePlatform(sockets);
    const media = {} as HTMLMediaElement;
    const on = createCoralHls({
      Hls,
      media,
      playback,
      platform,
      autoLoad: false,
      hlsConfig: { maxBufferLength: 7 },
    });
    expect(on.p2pEnabled).toBe(true);
    expect(on.engine!.config.region).toBe('eu-west');
    // The operator's relay policy reaches the engine (absent: no relay).
    expect(on.engine!.config.relayAllowed).toBe(false);
    const relayed = createCoralHls({
      Hls,
      media,
      playback: { ...playback, relayAllowed: true },
      platform,
      autoLoad: false,
    });
    expect(relayed.engine!.config.relayAllowed).toBe(true);
    relayed.destroy();
    expect(on.hls.config.fLoader).toBe(on.integration.hlsConfig.fLoader);
    expect(on.hls.config.pLoader).toBe(on.integration.hlsConfig.pLoader);
    expect(on.hls.config.maxBufferLength).toBe(7);
    // The engine started: it joins via the tracker once the first frame shows, not before.
    expect(sockets).toEqual([]);
    on.engine!.reportStartup(100);
    expect(sockets).toEqual(['ws://tracker.test/ws']);
    on.destroy();
    on.destroy();
    await expect(
      on.engine!.loadSegment({
        rendition: '240p',
        sequence: 0,
        url: 'u',
        startSec: 0,
        durationSec: 2,
      }).promise,
    ).rejects.toThrow(/destroyed/);

    const off = createCoralHls({ Hls, media, playback, p2p: false, platform, autoLoad: false });
    expect(off.engine).toBeNull();
    expect(off.p2pEnabled).toBe(false);
    expect(off.hls.config.fLoader).toBeUndefined();
    expect(off.hls.config.pLoader).toBeUndefined();
    expect(sockets).toHaveLength(1);
    off.destroy();
  });
  it('createCoralHls with the playback info still on its way: hls.js starts on the manifest at once, the engine joins later', async () => {
    const { default: Hls } = await import('hls.js');
    requested.length = 0;
    const sockets: string[] = [];
    const platform = engineFreePlatform(sockets);
    let answer!: (info: typeof playbackInfo) => void;
    const playback = new Promise<typeof playbackInfo>((resolve) => {
      answer = resolve;
    });
    const coral = createCoralHls({
      Hls,
      media: mediaStub(),
      playback,
      manifestUrl: MASTER,
      platform,
      hlsConfig: {
        loader: ScriptedLoader as unknown as HlsConfig['loader'],
        startFragPrefetch: true,
        enableWorker: false,
        debug: false,
      },
    });
    const loaded: FragLoadedData[] = [];
    coral.hls.on(Hls.Events.FRAG_LOADED, (_event, data) => loaded.push(data));
    try {
      // Asked for at once, before the playback info is here.
      expect(coral.hls.url).toBe(MASTER);
      // The first fragment is hls.js's own request, counted as a start-up CDN segment.
      await until('the first fragment loaded', () => loaded.some((d) => d.frag.sn === 0));
      expect(requested).toContain('http://edge.test/vod/demo/240p/seg_0.m4s');
      expect(coral.engine).toBeNull();
      expect(coral.p2pEnabled).toBe(true);
      // hls.js may have fetched more than the first by now: each is 64 bytes here.
      const early = coral.stats.segmentsFromHttp;
      expect(early).toBeGreaterThanOrEqual(1);
      expect(coral.stats).toMatchObject({ httpBytes: 64 * early, p2pEnabled: true });

      answer(playbackInfo);
      const engine = await coral.ready;
      expect(engine).toBe(coral.engine);
      expect(engine!.config.region).toBe('eu-west');
      // It adopted the early segment (counted once, kept for peers) and knows the playlist.
      const adopted = coral.stats;
      expect(adopted.segmentsFromHttp).toBeGreaterThanOrEqual(early);
      expect(adopted.httpBytes).toBe(64 * adopted.segmentsFromHttp);
      expect(adopted.storedSegments).toBeGreaterThanOrEqual(1);
      expect(sockets).toEqual([]);
      engine!.reportStartup(100);
      expect(sockets).toEqual(['ws://tracker.test/ws']);
    } finally {
      coral.destroy();
    }
  });

  it('createCoralHls: no playback info → P2P off, hls.js plays on (with a manifest URL) or the error surfaces (without)', async () => {
    const { default: Hls } = await import('hls.js');
    const media = {} as HTMLMediaElement;
    const failed = () => Promise.reject(new Error('origin unreachable'));
    const withUrl = createCoralHls({
      Hls,
      media,
      playback: failed(),
      manifestUrl: MASTER,
      platform: engineFreePlatform([]),
      autoLoad: false,
    });
    await expect(withUrl.ready).resolves.toBeNull();
    expect(withUrl.engineError?.message).toBe('origin unreachable');
    expect(withUrl.p2pEnabled).toBe(false);
    withUrl.destroy();
    const withoutUrl = createCoralHls({
      Hls,
      media,
      playback: failed(),
      platform: engineFreePlatform([]),
      autoLoad: false,
    });
    await expect(withoutUrl.ready).rejects.toThrow('origin unreachable');
    withoutUrl.destroy();
  });

  it('createCoralHls: a bad engine setting throws at once', async () => {
    const { default: Hls } = await import('hls.js');
    expect(() =>
      createCoralHls({
        Hls,
        media: {} as HTMLMediaElement,
        playback: playbackInfo,
        platform: engineFreePlatform([]),
        engineConfig: { uploadSlots: -1 },
        autoLoad: false,
      }),
    ).toThrow(/uploadSlots/);
  });

  it('createCoralHls where the page cannot do P2P: a console error, a stat, CDN-only playback', async () => {
    const { default: Hls } = await import('hls.js');
    const playback = playbackInfo;
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const media = {} as HTMLMediaElement;
    try {
      // Node has no RTCPeerConnection: what a browser without WebRTC looks like.
      expect(typeof (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection).toBe(
        'undefined',
      );
      const noRtc = createCoralHls({ Hls, media, playback, autoLoad: false });
      expect(noRtc.engine).toBeNull();
      expect(noRtc.p2pEnabled).toBe(false);
      expect(noRtc.p2pUnavailable).toBe('no-webrtc');
      expect(noRtc.stats.p2pUnavailable).toBe('no-webrtc');
      expect(noRtc.stats.p2pEligible).toBe(false);
      expect(noRtc.hls.config.fLoader).toBeUndefined();
      await expect(noRtc.ready).resolves.toBeNull();
      expect(noRtc.engineError?.message).toMatch(/needs WebRTC/);
      expect(errors).toHaveBeenCalledWith(expect.stringContaining('WebRTC'));
      noRtc.destroy();
      // A page served over plain http from a non-local address.
      (globalThis as { isSecureContext?: boolean }).isSecureContext = false;
      const insecure = createCoralHls({ Hls, media, playback, autoLoad: false });
      expect(insecure.stats.p2pUnavailable).toBe('insecure-context');
      expect(errors).toHaveBeenLastCalledWith(expect.stringContaining('https'));
      insecure.destroy();
      // P2P off by choice is not "unavailable".
      const off = createCoralHls({ Hls, media, playback, p2p: false, autoLoad: false });
      expect(off.stats.p2pUnavailable).toBeNull();
      off.destroy();
      expect(errors).toHaveBeenCalledTimes(2);
    } finally {
      delete (globalThis as { isSecureContext?: boolean }).isSecureContext;
      errors.mockRestore();
    }
  });
});

describe('browser platform policy', () => {
  it('names why a page cannot do P2P, the insecure context first', () => {
    const ok = {
      isSecureContext: true,
      subtle: {},
      RTCPeerConnection: class {},
      WebSocket: class {},
    };
    expect(p2pUnavailableReason(ok)).toBeNull();
    expect(p2pUnavailableReason({ ...ok, isSecureContext: undefined })).toBeNull();
    expect(p2pUnavailableReason({ ...ok, isSecureContext: false, subtle: undefined })).toBe(
      'insecure-context',
    );
    expect(p2pUnavailableReason({ ...ok, subtle: undefined })).toBe('no-webcrypto');
    expect(p2pUnavailableReason({ ...ok, RTCPeerConnection: undefined })).toBe('no-webrtc');
    expect(p2pUnavailableReason({ ...ok, WebSocket: undefined })).toBe('no-webrtc');
  });

  it('leaves TURN out of peer connections unless relay is allowed', () => {
    const servers = [
      { urls: 'stun:stun.example:3478' },
      {
        urls: ['turn:turn.example:3478', 'turns:turn.example:5349'],
        username: 'u',
        credential: 'c',
      },
      { urls: ['stun:a.example', 'TURN:b.example'] },
    ];
    expect(iceServersForPolicy(servers, false)).toEqual([
      { urls: ['stun:stun.example:3478'] },
      { urls: ['stun:a.example'] },
    ]);
    expect(iceServersForPolicy(servers, true)).toEqual(servers);
  });
});
