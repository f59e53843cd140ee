import type { SubtleCryptoLike } from '@coral-cdn/protocol';
import type { SelectedPath } from './connectivity.js';

/**
 * Everything the engine needs from its host, injected as one object: the engine itself never
 * touches window, navigator, process or a Node builtin, so the same code runs in a browser, in
 * a werift peer and in a simulated swarm with a fake clock.
 */

/** What `setTimeout` returns: a number in browsers, an object in Node. */
export type TimerId = number | object;

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerId;
  clearTimeout(id: TimerId): void;
}

/** A cancellable operation: `cancel()` makes `promise` reject with an AbortedError. */
export interface Cancelable<T> {
  readonly promise: Promise<T>;
  readonly cancel: () => void;
}

export interface HttpGetRequest {
  url: string;
  /** Resume: ask for the bytes from this offset on (a `Range: bytes=N-` request). */
  rangeStartBytes?: number;
  /** With `rangeStartBytes`: only up to this offset, exclusive (`Range: bytes=N-M`, M = this − 1). */
  rangeEndBytes?: number;
  /** Called as bytes arrive, with the bytes received so far in this response. */
  onProgress?: (loadedBytes: number) => void;
}

export interface HttpGetResponse {
  /** 200 or 206 (other statuses reject with HttpError). */
  status: number;
  bytes: Uint8Array;
  /** Clock time when the first byte arrived. */
  firstByteAtMs: number;
}

export interface HttpClient {
  get(request: HttpGetRequest): Cancelable<HttpGetResponse>;
}

export interface WebSocketLike {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  onopen: (() => void) | null;
  onmessage: ((text: string) => void) | null;
  onclose: ((code: number) => void) | null;
  onerror: ((error: unknown) => void) | null;
}

export interface IceCandidate {
  /** Empty string: end of candidates. */
  candidate: string;
  sdpMid: string | null;
  sdpMLineIndex: number | null;
}

export type DataChannelState = 'connecting' | 'open' | 'closing' | 'closed';

export interface DataChannelLike {
  readonly readyState: DataChannelState;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  send(data: Uint8Array): void;
  close(): void;
  onopen: (() => void) | null;
  onclose: (() => void) | null;
  onmessage: ((data: Uint8Array) => void) | null;
  onbufferedamountlow: (() => void) | null;
}

export type PeerConnectionState =
  'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

/**
 * A WebRTC peer connection reduced to what Coral uses: one reliable, ordered data channel,
 * SDP offer/answer and trickled ICE candidates.
 */
export interface PeerConnectionLike {
  /** Offerer side: create the data channel (before `createOffer`). */
  createDataChannel(label: string): DataChannelLike;
  /** Answerer side: the channel the offerer created. */
  ondatachannel: ((channel: DataChannelLike) => void) | null;
  /** Create an offer, set it as the local description, return its SDP. */
  createOffer(): Promise<string>;
  /** Set a remote offer, create and set the answer, return its SDP. */
  acceptOffer(sdp: string): Promise<string>;
  acceptAnswer(sdp: string): Promise<void>;
  addRemoteCandidate(candidate: IceCandidate): Promise<void>;
  /** A local candidate to trickle to the remote side (null: gathering complete). */
  onlocalcandidate: ((candidate: IceCandidate | null) => void) | null;
  onconnectionstatechange: ((state: PeerConnectionState) => void) | null;
  /**
   * The selected candidate pair once connected, from one `getStats()`: its type (null when the
   * stack does not say; the pair is then counted as `unknown`) and its current round-trip time,
   * ms (null while not measured). Absent: the stack has no stats (counted as `unknown`, peers
   * then ranked by throughput alone).
   */
  selectedPath?(): Promise<SelectedPath>;
  close(): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface EnginePlatform {
  clock: Clock;
  http: HttpClient;
  createWebSocket(url: string): WebSocketLike;
  createPeerConnection(): PeerConnectionLike;
  subtle: SubtleCryptoLike;
  /** Uniform in [0, 1): jitter for reconnects and tie-breaks. */
  random(): number;
  /**
   * Strict UTF-8 decoding of playlist bodies (throws on malformed bytes). Optional: the
   * runtime's TextDecoder is used when absent.
   */
  decodeUtf8?(bytes: Uint8Array): string;
  log?(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/** A Cancelable already settled with `value`. */
export function resolved<T>(value: T): Cancelable<T> {
  return { promise: Promise.resolve(value), cancel: () => undefined };
}

/** A Cancelable already failed with `error` (marked handled until someone awaits it). */
export function rejected<T>(error: Error): Cancelable<T> {
  const promise = Promise.reject(error);
  promise.catch(() => undefined);
  return { promise, cancel: () => undefined };
}
