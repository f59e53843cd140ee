import { CoralEngine, type EngineConfig, type EnginePlatform } from '@coral-cdn/p2p-engine';
import type { PlaybackInfo } from '@coral-cdn/protocol';
import type Hls from 'hls.js';
import type { HlsConfig } from 'hls.js';
import {
  createBrowserPlatform,
  P2pUnavailableError,
  type BrowserPlatformOptions,
  type P2pUnavailableReason,
} from './browser-platform.js';
import { CoralHlsIntegration, type CoralHlsIntegrationOptions } from './integration.js';
import type { PlaybackQoe } from './playback-observer.js';
import type { CoralStats } from './stats.js';

export interface CreateCoralHlsOptions {
  /** The hls.js class (a peer dependency: your copy, `import Hls from 'hls.js'`). */
  Hls: typeof Hls;
  /** The video element to play in. */
  media: HTMLMediaElement;
  /** The origin's answer for this stream (`fetchPlaybackInfo`). */
  playback: PlaybackInfo;
  /** P2P on (default). Off: plain hls.js, no engine, no tracker, no peers. */
  p2p?: boolean;
  /** Engine settings (upload cap, peers, memory, …); `region` defaults to the edge's region. */
  engineConfig?: Partial<EngineConfig>;
  /** Your hls.js settings; Coral adds only `fLoader` and `pLoader`. */
  hlsConfig?: Partial<HlsConfig>;
  /** WebRTC ICE servers and an engine log sink for the default browser platform. */
  platformOptions?: BrowserPlatformOptions;
  /** Replace the browser platform entirely (tests, other runtimes). */
  platform?: EnginePlatform;
  /** Called for every fragment the engine hands to hls.js (source, bytes, timing). */
  onSegment?: CoralHlsIntegrationOptions['onSegment'];
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
  /** Null with P2P off. */
  readonly engine: CoralEngine | null;
  readonly integration: CoralHlsIntegration;
  readonly p2pEnabled: boolean;
  /** Why P2P was asked for but is off (also in `stats.p2pUnavailable`); null otherwise. */
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
  let engine: CoralEngine | null = null;
  let p2pUnavailable: P2pUnavailableReason | null = null;
  // The operator's choice, unless the page set its own.
  const relayAllowed = options.engineConfig?.relayAllowed ?? options.playback.relayAllowed ?? false;
  let platform = p2p ? options.platform : undefined;
  if (p2p && !platform) {
    try {
      platform = createBrowserPlatform({ relayAllowed, ...options.platformOptions });
    } catch (error) {
      if (!(error instanceof P2pUnavailableError)) throw error;
      // Never a broken page: say why, and play from the CDN like a viewer with P2P off.
      p2pUnavailable = error.reason;
      // eslint-disable-next-line no-console -- the page author must see this without a log sink
      console.error(`${error.message}. Playing from the CDN only.`);
    }
  }
  if (platform) {
    engine = new CoralEngine(
      platform,
      {
        streamId: options.playback.swarmId,
        trackerUrl: options.playback.trackerUrl,
        token: options.playback.token,
        publicKey: options.playback.publicKey,
        ...(options.refreshToken ? { refreshToken: options.refreshToken } : {}),
      },
      {
        region: options.playback.edge.region,
        ...options.engineConfig,
        relayAllowed,
        p2pEnabled: true,
      },
    );
  }
  const integration = new CoralHlsIntegration({
    engine,
    p2pUnavailable,
    ...(options.platform ? { clock: options.platform.clock } : {}),
    ...(options.onSegment ? { onSegment: options.onSegment } : {}),
  });
  let hls: Hls;
  try {
    hls = new options.Hls({ ...options.hlsConfig, ...integration.hlsConfig });
    integration.attach(hls);
  } catch (error) {
    integration.destroy();
    engine?.destroy();
    throw error;
  }
  engine?.start();
  if (options.autoLoad ?? true) {
    hls.attachMedia(options.media);
    hls.loadSource(options.playback.manifestUrl);
  }
  let destroyed = false;
  return {
    hls,
    engine,
    integration,
    p2pEnabled: engine !== null,
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
      integration.destroy();
      hls.destroy();
      engine?.destroy();
    },
  };
}
