import {
  adaptPeerConnection,
  adaptWebSocket,
  createFetchHttpClient,
  type EnginePlatform,
  type LogLevel,
  type StandardPeerConnection,
  type StandardWebSocket,
} from '@coral-cdn/p2p-engine';
import type { SubtleCryptoLike } from '@coral-cdn/protocol';
import { browserClock } from './integration.js';

export interface BrowserPlatformOptions {
  /** STUN/TURN servers for WebRTC. Default: none (host candidates only). */
  iceServers?: RTCIceServer[];
  /**
   * Peer traffic may go through a TURN relay (the playback info's `relayAllowed`). Off
   * (default): TURN servers are left out of every peer connection.
   */
  relayAllowed?: boolean;
  /** Engine log lines (default: dropped). */
  log?: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;
}

/**
 * Why this page cannot do P2P: served over plain http from a non-local address (no secure
 * context, so no WebCrypto to check peer bytes against the origin's signatures), no WebCrypto
 * anyway, or no WebRTC / WebSocket.
 */
export type P2pUnavailableReason = 'insecure-context' | 'no-webcrypto' | 'no-webrtc';

export class P2pUnavailableError extends Error {
  constructor(readonly reason: P2pUnavailableReason) {
    super(P2P_UNAVAILABLE_MESSAGES[reason]);
    this.name = 'P2pUnavailableError';
  }
}

const P2P_UNAVAILABLE_MESSAGES: Record<P2pUnavailableReason, string> = {
  'insecure-context':
    'Coral P2P needs a secure context to verify peer data (WebCrypto): serve the page over https or from localhost',
  'no-webcrypto': 'Coral P2P needs WebCrypto (crypto.subtle) to verify peer data',
  'no-webrtc': 'Coral P2P needs WebRTC (RTCPeerConnection) and WebSocket in this browser',
};

/** What the page's globals say about P2P (pure: the globals are passed in). */
export function p2pUnavailableReason(env: {
  isSecureContext?: unknown;
  subtle?: unknown;
  RTCPeerConnection?: unknown;
  WebSocket?: unknown;
}): P2pUnavailableReason | null {
  if (env.isSecureContext === false) return 'insecure-context';
  if (!env.subtle) return 'no-webcrypto';
  if (typeof env.RTCPeerConnection !== 'function' || typeof env.WebSocket !== 'function')
    return 'no-webrtc';
  return null;
}

/** What this page's globals say about P2P. */
export function pageP2pUnavailable(): P2pUnavailableReason | null {
  const scope = globalThis as {
    isSecureContext?: unknown;
    crypto?: { subtle?: unknown };
    RTCPeerConnection?: unknown;
    WebSocket?: unknown;
  };
  return p2pUnavailableReason({
    isSecureContext: scope.isSecureContext,
    subtle: scope.crypto?.subtle,
    RTCPeerConnection: scope.RTCPeerConnection,
    WebSocket: scope.WebSocket,
  });
}

/** The ICE servers a peer connection may use: without relay allowed, no TURN URL at all. */
export function iceServersForPolicy(
  servers: readonly RTCIceServer[],
  relayAllowed: boolean,
): RTCIceServer[] {
  if (relayAllowed) return [...servers];
  const out: RTCIceServer[] = [];
  for (const server of servers) {
    const urls = (Array.isArray(server.urls) ? server.urls : [server.urls]).filter(
      (url) => !/^turns?:/i.test(url),
    );
    if (urls.length > 0) out.push({ ...server, urls });
  }
  return out;
}

/**
 * The engine's platform in a browser: `performance.now` and the global timers, `fetch`,
 * `WebSocket`, `RTCPeerConnection` and `crypto.subtle` (Ed25519 verification: Chromium,
 * Firefox and Safari all have it). Throws P2pUnavailableError where the page cannot do P2P.
 */
export function createBrowserPlatform(options: BrowserPlatformOptions = {}): EnginePlatform {
  const unavailable = pageP2pUnavailable();
  if (unavailable) throw new P2pUnavailableError(unavailable);
  const clock = browserClock;
  const iceServers = iceServersForPolicy(options.iceServers ?? [], options.relayAllowed ?? false);
  return {
    clock,
    http: createFetchHttpClient({
      fetch: (url, init) => fetch(url, init),
      clock,
      createAbortController: () => new AbortController(),
    }),
    createWebSocket: (url) => adaptWebSocket(new WebSocket(url) as unknown as StandardWebSocket),
    createPeerConnection: () =>
      adaptPeerConnection(
        new RTCPeerConnection({ iceServers }) as unknown as StandardPeerConnection,
      ),
    subtle: crypto.subtle as unknown as SubtleCryptoLike,
    random: () => Math.random(),
    ...(options.log ? { log: options.log } : {}),
  };
}
