import { selectedPath } from '../connectivity.js';
import type {
  DataChannelLike,
  DataChannelState,
  IceCandidate,
  PeerConnectionLike,
  PeerConnectionState,
} from '../platform.js';

/**
 * Adapters from the standard RTCPeerConnection / RTCDataChannel shape (browsers, and werift
 * with a few hooks) to the engine's PeerConnectionLike. Structural types: no DOM library.
 */
export interface StandardSessionDescription {
  type: string;
  sdp?: string;
}

export interface StandardIceCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

export interface StandardDataChannel {
  readonly readyState: string;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  binaryType?: string;
  close(): void;
  onopen?: ((event?: unknown) => void) | null;
  onclose?: ((event?: unknown) => void) | null;
  onmessage?: ((event: { data: unknown }) => void) | null;
}

export interface StandardPeerConnection {
  createDataChannel(label: string, init?: { ordered?: boolean }): StandardDataChannel;
  createOffer(): Promise<StandardSessionDescription>;
  createAnswer(): Promise<StandardSessionDescription>;
  setLocalDescription(description: StandardSessionDescription): Promise<unknown>;
  setRemoteDescription(description: { type: 'offer' | 'answer'; sdp: string }): Promise<unknown>;
  addIceCandidate(candidate: StandardIceCandidate): Promise<unknown>;
  readonly localDescription: StandardSessionDescription | null;
  readonly connectionState: string;
  /** WebRTC stats (an RTCStatsReport, or werift's): the selected candidate pair is read from it. */
  getStats?(): Promise<unknown>;
  close(): void;
}

export interface RtcAdapterHooks {
  /** Send bytes on a channel (werift wants a Buffer). Default: `channel.send(bytes)`. */
  send?(channel: StandardDataChannel, bytes: Uint8Array): void;
  /** Register for buffered-amount-low (werift: an Event to subscribe to). Default: the `on…` property. */
  onBufferedAmountLow?(channel: StandardDataChannel, callback: () => void): void;
  /** Register the ICE, data channel and state callbacks (werift: the same properties). */
  onIceCandidate?(
    pc: StandardPeerConnection,
    callback: (candidate: StandardIceCandidate | null) => void,
  ): void;
  onDataChannel?(
    pc: StandardPeerConnection,
    callback: (channel: StandardDataChannel) => void,
  ): void;
  onConnectionStateChange?(pc: StandardPeerConnection, callback: () => void): void;
}

/** Messages kept for a channel that has no message handler yet, at most. */
export const EARLY_MESSAGE_LIMIT = 256;

/**
 * Messages that came before the engine took the channel, should a stack deliver the remote's
 * first messages before this side's `open` event has run. A lost handshake is asked for again
 * (`HandshakeGate`), but the BITFIELD sent with it is sent only once: dropped, the remote's
 * holdings would stay unknown. They are handed over in order, in a microtask: after the taker
 * has finished setting up.
 */
class EarlyMessages {
  private queue: Uint8Array[] = [];
  private flushing = false;

  constructor(private readonly handler: () => ((bytes: Uint8Array) => void) | null) {}

  /** Pass bytes on, or keep them while there is no handler or older ones wait. */
  deliver(bytes: Uint8Array): void {
    const handler = this.handler();
    if (handler && this.queue.length === 0) handler(bytes);
    else if (this.queue.length < EARLY_MESSAGE_LIMIT) this.queue.push(bytes);
  }

  /** A handler was set: hand it what was kept, in order, once its taker has set up. */
  handlerSet(): void {
    if (this.queue.length === 0 || this.flushing) return;
    this.flushing = true;
    void Promise.resolve().then(() => {
      this.flushing = false;
      while (this.queue.length > 0) {
        const handler = this.handler();
        if (!handler) return;
        handler(this.queue.shift()!);
      }
    });
  }
}

const states = new Set(['new', 'connecting', 'connected', 'disconnected', 'failed', 'closed']);

export function adaptDataChannel(
  channel: StandardDataChannel,
  hooks: RtcAdapterHooks = {},
): DataChannelLike {
  if ('binaryType' in channel) channel.binaryType = 'arraybuffer';
  const adapted: DataChannelLike = {
    get readyState() {
      return channel.readyState as DataChannelState;
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
    send: (bytes) =>
      hooks.send
        ? hooks.send(channel, bytes)
        : (channel as unknown as { send(data: Uint8Array): void }).send(bytes),
    close: () => channel.close(),
    onopen: null,
    onclose: null,
    onmessage: null,
    onbufferedamountlow: null,
  };
  channel.onopen = () => adapted.onopen?.();
  channel.onclose = () => adapted.onclose?.();
  let onMessage: DataChannelLike['onmessage'] = null;
  const early = new EarlyMessages(() => onMessage);
  Object.defineProperty(adapted, 'onmessage', {
    get: () => onMessage,
    set: (handler: DataChannelLike['onmessage']) => {
      onMessage = handler;
      early.handlerSet();
    },
  });
  channel.onmessage = (event) => {
    const data = event.data;
    if (data instanceof ArrayBuffer) early.deliver(new Uint8Array(data));
    else if (ArrayBuffer.isView(data))
      early.deliver(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    // Text messages are not part of the peer protocol: ignored.
  };
  const onLow = () => adapted.onbufferedamountlow?.();
  if (hooks.onBufferedAmountLow) hooks.onBufferedAmountLow(channel, onLow);
  else
    (channel as unknown as { onbufferedamountlow: (() => void) | null }).onbufferedamountlow =
      onLow;
  return adapted;
}

export function adaptPeerConnection(
  pc: StandardPeerConnection,
  hooks: RtcAdapterHooks = {},
): PeerConnectionLike {
  const adapted: PeerConnectionLike = {
    createDataChannel: (label) =>
      adaptDataChannel(pc.createDataChannel(label, { ordered: true }), hooks),
    ondatachannel: null,
    async createOffer() {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      return pc.localDescription?.sdp ?? offer.sdp ?? '';
    },
    async acceptOffer(sdp) {
      await pc.setRemoteDescription({ type: 'offer', sdp });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      return pc.localDescription?.sdp ?? answer.sdp ?? '';
    },
    async acceptAnswer(sdp) {
      await pc.setRemoteDescription({ type: 'answer', sdp });
    },
    async addRemoteCandidate(candidate: IceCandidate) {
      // An empty candidate marks the end of candidates; some stacks reject it.
      if (candidate.candidate === '') return;
      await pc.addIceCandidate(candidate);
    },
    onlocalcandidate: null,
    onconnectionstatechange: null,
    close: () => pc.close(),
  };
  if (pc.getStats) {
    const getStats = pc.getStats.bind(pc);
    adapted.selectedPath = async () => selectedPath(await getStats());
  }
  const onCandidate = (candidate: StandardIceCandidate | null) =>
    adapted.onlocalcandidate?.(
      candidate && candidate.candidate
        ? {
            candidate: candidate.candidate,
            sdpMid: candidate.sdpMid ?? null,
            sdpMLineIndex: candidate.sdpMLineIndex ?? null,
          }
        : null,
    );
  const onChannel = (channel: StandardDataChannel) =>
    adapted.ondatachannel?.(adaptDataChannel(channel, hooks));
  const onState = () => {
    const state = pc.connectionState;
    if (states.has(state)) adapted.onconnectionstatechange?.(state as PeerConnectionState);
  };
  if (hooks.onIceCandidate) hooks.onIceCandidate(pc, onCandidate);
  else {
    (
      pc as unknown as {
        onicecandidate: (event: { candidate: StandardIceCandidate | null }) => void;
      }
    ).onicecandidate = (event) => onCandidate(event.candidate);
  }
  if (hooks.onDataChannel) hooks.onDataChannel(pc, onChannel);
  else {
    (
      pc as unknown as { ondatachannel: (event: { channel: StandardDataChannel }) => void }
    ).ondatachannel = (event) => onChannel(event.channel);
  }
  if (hooks.onConnectionStateChange) hooks.onConnectionStateChange(pc, onState);
  else (pc as unknown as { onconnectionstatechange: () => void }).onconnectionstatechange = onState;
  return adapted;
}
