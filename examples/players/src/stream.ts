import { CoralEngine } from '@coral-cdn/p2p-engine';
import {
  CoralHlsIntegration,
  createBrowserPlatform,
  fetchPlaybackInfo,
  type PlaybackInfo,
  type SegmentDelivery,
} from '@coral-cdn/hlsjs';
import type Hls from 'hls.js';

/** What a page needs to know: which Coral origin, which stream, P2P on or off. */
export interface PageParams {
  originUrl: string;
  streamId: string;
  p2p: boolean;
}

/** `?origin=…&id=…&p2p=0`: the origin defaults to the page's own. Throws on a bad value. */
export function readParams(search: string, pageOrigin: string): PageParams {
  const query = new URLSearchParams(search);
  const originUrl = query.get('origin') ?? pageOrigin;
  const streamId = query.get('id') ?? '';
  if (!/^https?:\/\//.test(originUrl))
    throw new Error(`origin “${originUrl}” is not an http(s) URL`);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(streamId))
    throw new Error(`stream id “${streamId}” is not valid`);
  return { originUrl: originUrl.replace(/\/+$/, ''), streamId, p2p: query.get('p2p') !== '0' };
}

/**
 * One stream's Coral side, for a player that creates hls.js itself: the engine (null with P2P
 * off) and the integration whose `hlsConfig` the player must pass to `new Hls(...)`. Call
 * `attach(hls)` with the player's instance as soon as it exists, before it loads anything.
 */
export interface CoralStream {
  readonly playback: PlaybackInfo;
  readonly engine: CoralEngine | null;
  readonly integration: CoralHlsIntegration;
  attach(hls: Hls): void;
  destroy(): void;
}

export interface OpenStreamOptions {
  onSegment?: (delivery: SegmentDelivery) => void;
  log?: (level: string, message: string, fields?: Record<string, unknown>) => void;
  /**
   * Measure start-up from this time (`performance.now`): 0, navigation start, for a page that
   * plays as it loads (autoplay), as Coral's reference page and the start-up benchmark do;
   * default: the play request, or attaching.
   */
  startupOriginMs?: number;
}

export async function openStream(
  params: PageParams,
  options: OpenStreamOptions = {},
): Promise<CoralStream> {
  const playback = await fetchPlaybackInfo(params.originUrl, params.streamId);
  const engine = params.p2p
    ? new CoralEngine(
        createBrowserPlatform({
          iceServers: playback.iceServers ?? [],
          ...(options.log ? { log: options.log } : {}),
        }),
        {
          streamId: playback.swarmId,
          trackerUrl: playback.trackerUrl,
          token: playback.token,
          publicKey: playback.publicKey,
          refreshToken: async () =>
            (await fetchPlaybackInfo(params.originUrl, params.streamId)).token,
        },
        { region: playback.edge.region, p2pEnabled: true },
      )
    : null;
  const integration = new CoralHlsIntegration({
    engine,
    ...(options.onSegment ? { onSegment: options.onSegment } : {}),
    ...(options.startupOriginMs !== undefined ? { startupOriginMs: options.startupOriginMs } : {}),
  });
  let attached: Hls | null = null;
  let destroyed = false;
  return {
    playback,
    engine,
    integration,
    attach(hls) {
      if (attached === hls) return;
      // A player that recreates hls.js (new source) gets a fresh stream: one engine per instance.
      if (attached) throw new Error('this Coral stream is already attached to an hls.js instance');
      attached = hls;
      integration.attach(hls);
      engine?.start();
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      integration.destroy();
      engine?.destroy();
    },
  };
}

/**
 * hls.js's forward buffer with P2P on (as Coral's reference player): what hls.js asks for before
 * any peer is connected comes from the CDN, so a bounded buffer leaves more to peers.
 */
export const P2P_HLS_CONFIG = { maxBufferLength: 12, maxMaxBufferLength: 12 } as const;
