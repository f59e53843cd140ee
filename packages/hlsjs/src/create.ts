import { CoralEngine, type EngineConfig, type EnginePlatform } from '@coral-cdn/p2p-engine';
import type { PlaybackInfo } from '@coral-cdn/protocol';
import type Hls from 'hls.js';
import type { HlsConfig } from 'hls.js';
import {
  createBrowserPlatform,
  P2pUnavailableError,
  pageP2pUnavailable,
  type BrowserPlatformOptions,
  type P2pUnavailableReason,
} from './browser-platform.js';
import { DeferredEngine } from './deferred-engine.js';
import { CoralHlsIntegration, type CoralHlsIntegrationOptions } from './integration.js';
import type { PlaybackQoe } from './playback-observer.js';
import type { CoralStats } from './stats.js';

export interface CreateCoralHlsOptions {
  /** The hls.js class (a peer dependency: your copy, `import Hls from 'hls.js'`). */
  Hls: typeof Hls;
  /** The video element to play in. */
  media: HTMLMediaElement;
  /**
   * The origin's answer for this stream (`fetchPlaybackInfo`), or its promise: with
   * `manifestUrl` given, hls.js starts at once and the engine joins when the answer arrives.
   */
  playback: PlaybackInfo | Promise<PlaybackInfo>;
  /**
   * The master playlist, for a page that knows it: hls.js requests it without waiting for
   * `playback` (default: `playback.manifestUrl`, once known).
   */
  manifestUrl?: string;
  /** P2P on (default). Off: plain hls.js, no engine, no tracker, no peers. */
  p2p?: boolean;
  /** Engine settings (upload cap, peers, memory, …); `region` defaults to the edge's region. */
  engineConfig?: Partial<EngineConfig>;
  /** Your hls.js settings; Coral adds only `fLoader` and `pLoader`. */
  hlsConfig?: Partial<HlsConfig>;
  /**
   * WebRTC ICE servers and an engine log sink for the default browser platform; the playback
   * info's `iceServers` (fresh TURN credentials), when there are any, replace these.
   */
  platformOptions?: BrowserPlatformOptions;
  /** Replace the browser platform entirely (tests, other runtimes). */
  platform?: EnginePlatform;
  /** Called for every fragment the engine hands to hls.js (source, bytes, timing). */
  onSegment?: CoralHlsIntegrationOptions['onSegment'];
  /** Measure start-up from this time (`performance.now`; 0: navigation start). */
  startupOriginMs?: number;
  /** Attach the media and load `playback.manifestUrl` at once (default true). */
  autoLoad?: boolean;
  /**
   * A fresh viewer token when the tracker refuses an expired one (long sessions), e.g.
   * `() => fetchPlaybackInfo(origin, id).then((info) => info.token)`.
   */
  refreshToken?: () => Promise<string>;
}

/** One playing stream: the hls.js instance, its engine, and what they report. */
export interface CoralHls {
  readonly hls: Hls;
  /** Null with P2P off, and while the playback info is on its way. */
  readonly engine: CoralEngine | null;
  readonly integration: CoralHlsIntegration;
  /** P2P on: an engine runs, or will once the playback info is here. */
  readonly p2pEnabled: boolean;
  /**
   * Settles once the playback info is handled: the engine, or null with P2P off (asked for,
   * or impossible here: `engineError` says why). Rejects when the playback info failed and
   * there was no `manifestUrl` to play without it.
   */
  readonly ready: Promise<CoralEngine | null>;
  /** Why P2P is off although it was asked for (no WebRTC or WebCrypto, no playback info). */
  readonly engineError: Error | null;
  /** This page cannot do P2P (also in `stats.p2pUnavailable`); null otherwise. */
  readonly p2pUnavailable: P2pUnavailableReason | null;
  /** Engine counters (bytes by source, peers, integrity, …) plus the player's QoE. */
  readonly stats: CoralStats;
  readonly qoe: PlaybackQoe | null;
  /** Destroy hls.js, the integration and the engine (tracker, peers, timers). Idempotent. */
  destroy(): void;
}

/**
 * Play a Coral stream with hls.js: make the engine (P2P on), an hls.js instance with Coral's
 * loaders, wire them together, attach the video and load the edge's master playlist.
 *
 * ```ts
 * import Hls from 'hls.js';
 * import { createCoralHls, fetchPlaybackInfo } from '@coral-cdn/hlsjs';
 *
 * const playback = await fetchPlaybackInfo('https://origin.example', 'my-stream');
 * const coral = createCoralHls({ Hls, media: video, playback });
 * setInterval(() => console.log(coral.stats.offloadRatio), 1000);
 * ```
 */
export function createCoralHls(options: CreateCoralHlsOptions): CoralHls {
  const p2p = options.p2p ?? true;
  let engineError: Error | null = null;
  // Known before any request: a page that cannot do P2P plays as plain hls.js at once.
  const p2pUnavailable = p2p && !options.platform ? pageP2pUnavailable() : null;
  if (p2pUnavailable) {
    engineError = new P2pUnavailableError(p2pUnavailable);
    // eslint-disable-next-line no-console -- the page author must see this without a log sink
    console.error(`${engineError.message}. Playing from the CDN only.`);
  }
  const deferred = p2p && !p2pUnavailable ? new DeferredEngine(options.engineConfig) : null;
  const integration = new CoralHlsIntegration({
    engine: deferred,
    p2pUnavailable,
    ...(options.platform ? { clock: options.platform.clock } : {}),
    ...(options.onSegment ? { onSegment: options.onSegment } : {}),
    ...(options.startupOriginMs !== undefined ? { startupOriginMs: options.startupOriginMs } : {}),
  });
  let hls: Hls;
  try {
    hls = new options.Hls({ ...options.hlsConfig, ...integration.hlsConfig });
    integration.attach(hls);
  } catch (error) {
    integration.destroy();
    throw error;
  }
  const autoLoad = options.autoLoad ?? true;
  if (autoLoad) hls.attachMedia(options.media);
  if (autoLoad && options.manifestUrl !== undefined) hls.loadSource(options.manifestUrl);
  let engine: CoralEngine | null = null;
  let destroyed = false;
  const startEngine = (playback: PlaybackInfo): CoralEngine | null => {
    if (!deferred || destroyed) return null;
    // The operator's choice, unless the page set its own.
    const relayAllowed = options.engineConfig?.relayAllowed ?? playback.relayAllowed ?? false;
    try {
      const platform =
        options.platform ??
        createBrowserPlatform({
          relayAllowed,
          ...options.platformOptions,
          // The origin's servers carry fresh TURN credentials: they win when it sends some.
          ...(playback.iceServers?.length ? { iceServers: playback.iceServers } : {}),
        });
      engine = new CoralEngine(
        platform,
        {
          streamId: playback.swarmId,
          trackerUrl: playback.trackerUrl,
          token: playback.token,
          publicKey: playback.publicKey,
          ...(options.refreshToken ? { refreshToken: options.refreshToken } : {}),
        },
        { region: playback.edge.region, ...options.engineConfig, relayAllowed, p2pEnabled: true },
      );
    } catch (error) {
      // No WebRTC or WebCrypto here, or a setting the engine refused: play from the CDN.
      engineError = error instanceof Error ? error : new Error(String(error));
      deferred.turnOff();
      return null;
    }
    deferred.resolve(engine);
    engine.start();
    return engine;
  };
  const onPlayback = (playback: PlaybackInfo): CoralEngine | null => {
    if (destroyed) return null;
    if (autoLoad && options.manifestUrl === undefined) hls.loadSource(playback.manifestUrl);
    return startEngine(playback);
  };
  const ready =
    options.playback instanceof Promise
      ? options.playback.then(onPlayback, (error: unknown) => {
          engineError = error instanceof Error ? error : new Error(String(error));
          deferred?.turnOff();
          if (options.manifestUrl === undefined) throw engineError;
          return null;
        })
      : Promise.resolve(onPlayback(options.playback));
  // An unhandled rejection only when nobody reads `ready`: the page sees hls.js idle otherwise.
  ready.catch(() => undefined);
  return {
    hls,
    get engine() {
      return engine;
    },
    integration,
    get p2pEnabled() {
      return integration.p2pEnabled;
    },
    ready,
    get engineError() {
      return engineError;
    },
    p2pUnavailable,
    get stats() {
      return integration.stats;
    },
    get qoe() {
      return integration.qoe;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      deferred?.turnOff();
      integration.destroy();
      hls.destroy();
      engine?.destroy();
    },
  };
}
