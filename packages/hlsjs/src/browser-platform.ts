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
  /** Engine log lines (default: dropped). */
  log?: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;
}

/**
 * The engine's platform in a browser: `performance.now` and the global timers, `fetch`,
 * `WebSocket`, `RTCPeerConnection` and `crypto.subtle` (Ed25519 verification: Chromium,
 * Firefox and Safari all have it).
 */
export function createBrowserPlatform(options: BrowserPlatformOptions = {}): EnginePlatform {
  if (typeof RTCPeerConnection === 'undefined' || typeof WebSocket === 'undefined') {
    throw new Error('Coral needs WebRTC (RTCPeerConnection) and WebSocket in this browser');
  }
  if (!globalThis.crypto?.subtle) {
    throw new Error(
      'Coral needs WebCrypto (crypto.subtle): serve the page over https or localhost',
    );
  }
  const clock = browserClock;
  const iceServers = options.iceServers ?? [];
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
