import {
  adaptPeerConnection,
  type PeerConnectionLike,
  type StandardDataChannel,
  type StandardPeerConnection,
} from '@coral-cdn/p2p-engine';
import { RTCPeerConnection, type RTCDataChannel } from 'werift';
import { applyWeriftDtlsFix } from './werift-dtls-fix.js';
import { applyWeriftSctpTimers } from './werift-sctp-timers.js';

/**
 * werift's RTCPeerConnection behind the engine's PeerConnectionLike.
 *
 * werift differs from the browser API in a few places that the engine's adapter hooks cover:
 * `send` wants a Buffer, buffered-amount-low is an Event to subscribe to (and fires only on a
 * downward crossing of the threshold), and the ICE / data channel / state callbacks are Events.
 * Received messages arrive as `{ data: Buffer }`, which the adapter already reads as bytes.
 */

/** What werift advertises as its SCTP max-message-size, and what it accepts from peers. */
export const WERIFT_MAX_MESSAGE_BYTES = 64 * 1024;

export interface WeriftPeerConnectionOptions {
  /**
   * Extra host addresses to gather ICE candidates on. werift skips loopback by default; in a
   * loopback-only network namespace `['127.0.0.1']` is what lets two peers meet.
   */
  iceAdditionalHostAddresses?: string[];
  /** STUN/TURN servers (none by default: host candidates only). */
  iceServers?: Array<{ urls: string | string[]; username?: string; credential?: string }>;
  /**
   * Rewrite each outgoing data channel message before it is sent. Used by the corrupting test
   * mode; the identity when absent.
   */
  transformOutgoing?: (bytes: Uint8Array) => Uint8Array;
  /**
   * SCTP max-message-size to advertise (what the remote may send us), bytes. Default 64 KiB,
   * werift's own default; Chromium advertises 256 KiB.
   */
  maxMessageBytes?: number;
}

/** What the adapter hooks see of a channel: the standard shape plus werift's extras. */
interface WrappedChannel extends StandardDataChannel {
  sendBytes(bytes: Uint8Array): void;
  onBufferedAmountLow(callback: () => void): void;
}

/** Messages held for a channel that is not open yet (werift can deliver them before `open`). */
const MAX_EARLY_MESSAGES = 256;

function toBuffer(bytes: Uint8Array): Buffer {
  // A view, not a copy: werift queues the Buffer as it is.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function createWeriftPeerConnection(
  options: WeriftPeerConnectionOptions = {},
): PeerConnectionLike {
  // werift's DTLS server loses its keys when loss reorders the client's flight (see the fix),
  // and its SCTP waits out RFC 4960's long retransmission timers (see the timers).
  applyWeriftDtlsFix();
  applyWeriftSctpTimers();
  const pc = new RTCPeerConnection({
    iceServers: options.iceServers ?? [],
    iceAdditionalHostAddresses: options.iceAdditionalHostAddresses ?? ['127.0.0.1'],
    maxMessageSize: options.maxMessageBytes ?? WERIFT_MAX_MESSAGE_BYTES,
  });
  const transform = options.transformOutgoing;
  // (werift reports candidates while setLocalDescription runs, before the offer has gone out:
  // the engine holds a connection's local candidates until its description is sent.)
  // werift's close() is async and may reject on a half-open connection: never let that escape.
  const standard: StandardPeerConnection = {
    createDataChannel: (label, init) => wrapChannel(pc.createDataChannel(label, init), transform),
    createOffer: () => pc.createOffer(),
    createAnswer: () => pc.createAnswer(),
    setLocalDescription: (description) =>
      pc.setLocalDescription(description as Parameters<typeof pc.setLocalDescription>[0]),
    setRemoteDescription: (description) => pc.setRemoteDescription(description),
    addIceCandidate: (candidate) =>
      pc.addIceCandidate({
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid ?? undefined,
        sdpMLineIndex: candidate.sdpMLineIndex ?? undefined,
      }),
    get localDescription() {
      return pc.localDescription;
    },
    get connectionState() {
      return pc.connectionState;
    },
    // The standard stats entries (transport, candidate pairs, candidates): the engine reads
    // the selected pair's type from them.
    getStats: () => pc.getStats(),
    close: () => {
      pc.close().catch(() => undefined);
    },
  };
  return adaptPeerConnection(standard, {
    send: (channel, bytes) => (channel as WrappedChannel).sendBytes(bytes),
    onBufferedAmountLow: (channel, callback) =>
      (channel as WrappedChannel).onBufferedAmountLow(callback),
    onIceCandidate: (_pc, callback) => {
      pc.onIceCandidate.subscribe((candidate) => {
        const standard = candidate?.candidate
          ? {
              candidate: candidate.candidate,
              sdpMid: candidate.sdpMid ?? null,
              sdpMLineIndex: candidate.sdpMLineIndex ?? null,
            }
          : null;
        callback(standard);
      });
    },
    onDataChannel: (_pc, callback) => {
      pc.onDataChannel.subscribe((channel) => callback(wrapChannel(channel, transform)));
    },
    onConnectionStateChange: (_pc, callback) => {
      pc.connectionStateChange.subscribe(() => callback());
    },
  });
}

/**
 * A werift channel in the standard shape. werift can hand the offerer the remote's first
 * messages before its own `open` event (the engine starts listening on open, as a browser
 * allows): those are held and delivered right after `open` has been dispatched.
 */
function wrapChannel(
  channel: RTCDataChannel,
  transform: ((bytes: Uint8Array) => Uint8Array) | undefined,
): WrappedChannel {
  let early: Buffer[] | null = channel.readyState === 'open' ? null : [];
  const wrapped: WrappedChannel = {
    get readyState() {
      return channel.readyState;
    },
    get bufferedAmount() {
      return channel.bufferedAmount;
    },
    get bufferedAmountLowThreshold() {
      return channel.bufferedAmountLowThreshold;
    },
    set bufferedAmountLowThreshold(value: number) {
      channel.bufferedAmountLowThreshold = value;
    },
    close: () => channel.close(),
    onopen: null,
    onclose: null,
    onmessage: null,
    sendBytes: (bytes) => channel.send(toBuffer(transform ? transform(bytes) : bytes)),
    onBufferedAmountLow: (callback) => {
      channel.bufferedAmountLow.subscribe(callback);
    },
  };
  channel.onopen = () => {
    wrapped.onopen?.();
    const queued = early ?? [];
    early = null;
    for (const data of queued) wrapped.onmessage?.({ data });
  };
  channel.onclose = () => {
    early = null;
    wrapped.onclose?.();
  };
  channel.onmessage = (event) => {
    if (typeof event.data === 'string') return; // not part of the peer protocol
    if (early) {
      if (early.length < MAX_EARLY_MESSAGES) early.push(event.data);
      return;
    }
    wrapped.onmessage?.({ data: event.data });
  };
  return wrapped;
}
