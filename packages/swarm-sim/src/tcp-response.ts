/**
 * How long an HTTP response takes over a viewer's TCP connection to the CDN, after its first
 * byte, and what the connection's congestion state is afterwards.
 *
 * A connection starts in slow start: ten segments in the first round trip, the window growing
 * by every byte acknowledged (doubling each round trip), until the first loss, expected after
 * 1/p packets, or until the window reaches its threshold (after a loss: the loss cap's window).
 * From there bytes go at the loss cap (Mathis). Idle longer than an RTO restarts slow start
 * from the initial window (Linux's `tcp_slow_start_after_idle`). A fluid model at the loss cap
 * from the first byte made the simulator's start-up 1.4-1.7 times the internet lab's: the
 * homes' first segments (116 kB at 1.1-1.8% loss) crossed in slow start, in about four round
 * trips.
 */

import { mathisBytesPerSec } from './paths.js';

/** Linux's MSS on a 1,500-byte path with TCP timestamps. */
export const TCP_MSS_BYTES = 1448;
/** Initial congestion window (RFC 6928, Linux's default), bytes. */
export const TCP_INITIAL_WINDOW_BYTES = 10 * TCP_MSS_BYTES;
/** Linux's minimum retransmission timeout, ms. */
const TCP_MIN_RTO_MS = 200;

export interface TcpState {
  readonly windowBytes: number;
  /** Bytes expected before the next loss; 0: past slow start. */
  readonly lossFreeLeftBytes: number;
  /** Slow start ends when the window reaches this, bytes. */
  readonly thresholdBytes: number;
}

export interface TcpResponse {
  /** From the first byte to the last, ms. */
  readonly bodyMs: number;
  readonly after: TcpState;
}

/** Idle time after which a connection restarts slow start: its RTO, ms. */
export function idleRestartMs(rttMs: number): number {
  return Math.max(TCP_MIN_RTO_MS, 2 * rttMs);
}

/** Losses are independent: after any packet, the next loss is 1/p packets away on average. */
function lossFreeBytes(lossRate: number): number {
  return lossRate > 0 ? TCP_MSS_BYTES / lossRate : Infinity;
}

/** A new connection (pure). */
export function newTcpState(lossRate: number): TcpState {
  return {
    windowBytes: TCP_INITIAL_WINDOW_BYTES,
    lossFreeLeftBytes: lossFreeBytes(lossRate),
    thresholdBytes: Infinity,
  };
}

/** The same connection after an idle RTO: slow start again, up to its threshold (pure). */
export function restartedTcpState(state: TcpState, lossRate: number): TcpState {
  return {
    windowBytes: Math.min(state.windowBytes, TCP_INITIAL_WINDOW_BYTES),
    lossFreeLeftBytes: lossFreeBytes(lossRate),
    thresholdBytes: state.thresholdBytes,
  };
}

/** One response of `wireBytes` on a connection in `state` (pure). */
export function tcpResponse(
  state: TcpState,
  wireBytes: number,
  rttMs: number,
  lossRate: number,
): TcpResponse {
  const capBytesPerSec = mathisBytesPerSec(rttMs, lossRate, TCP_MSS_BYTES);
  const slowStartBytes = Math.max(
    0,
    Math.min(wireBytes, state.lossFreeLeftBytes, state.thresholdBytes - state.windowBytes),
  );
  // Round k (from 1) carries window·2^(k-1); the first arrives with the first byte.
  const rounds =
    slowStartBytes > 0 ? Math.ceil(Math.log2(slowStartBytes / state.windowBytes + 1)) : 0;
  const restBytes = wireBytes - slowStartBytes;
  const bodyMs =
    Math.max(0, rounds - 1) * rttMs + (restBytes > 0 ? (restBytes / capBytesPerSec) * 1000 : 0);
  const windowEndBytes = state.windowBytes + slowStartBytes;
  if (slowStartBytes < state.lossFreeLeftBytes)
    return {
      bodyMs,
      after: {
        windowBytes: windowEndBytes,
        lossFreeLeftBytes: state.lossFreeLeftBytes - slowStartBytes,
        thresholdBytes: state.thresholdBytes,
      },
    };
  // Past slow start: the window the loss cap stands for, where slow start ends next time.
  const capWindowBytes = Math.max(
    TCP_INITIAL_WINDOW_BYTES,
    Math.min(windowEndBytes, (capBytesPerSec * rttMs) / 1000),
  );
  return {
    bodyMs,
    after: { windowBytes: capWindowBytes, lossFreeLeftBytes: 0, thresholdBytes: capWindowBytes },
  };
}
