import {
  AbsentReason,
  bitfieldFromSequences,
  type SignedPartHash,
  decodePeerFrame,
  encodePeerFrame,
  type PeerFrame,
} from '@coral-cdn/protocol';
import type { EngineConfig } from './config.js';
import { ChannelDrain } from './channel-drain.js';
import { Emitter } from './emitter.js';
import { EngineError } from './errors.js';
import type { Cancelable, DataChannelLike, EnginePlatform } from './platform.js';
import type {
  ActiveUpload,
  PeerCloseReason,
  PeerDownloadResult,
  SessionEvents,
  ShareablePartLookup,
  SignedHashLookup,
} from './peer-session-types.js';
import type { PartName } from './part-key.js';
import type { PeerDownloadOptions } from './pending-download.js';
import { HandshakeGate, type NonHandshakeFrame } from './handshake-gate.js';
import { PeerDownloads } from './peer-downloads.js';
import { RemoteParts } from './remote-parts.js';
import { RemoteHoldings } from './remote-holdings.js';
import { mayStartUpload, RequestGuard } from './request-guard.js';
import type { SegmentStore } from './segment-store.js';
import { ThroughputEstimator } from './throughput.js';
import { pumpUpload, requestedBytes, type UploadPumpDeps } from './upload-pump.js';
import type { UploadLimiter } from './upload-limiter.js';

/**
 * SIGNED frames in a row, before a BITFIELD or HAVE: a viewer keeps 512 live entries per
 * rendition (integrity.ts), so an honest peer never sends more; past it, it is abuse.
 */
const MAX_SIGNED_IN_A_ROW = 512;

/**
 * One open data channel to a remote peer, speaking the binary peer protocol: what the remote
 * holds, downloads from it (chunks reassembled in order, with a stall timer), and uploads to
 * it (upload slots, the upload cap, and backpressure on the channel's buffered amount).
 */
export class PeerSession extends Emitter<SessionEvents> {
  readonly throughput: ThroughputEstimator;
  private readonly remoteHave = new RemoteHoldings();
  private readonly remoteParts = new RemoteParts();
  private readonly downloads: PeerDownloads;
  private readonly uploads = new Map<number, ActiveUpload>();
  private readonly requestGuard: RequestGuard;
  private readonly holdingGuard: RequestGuard;
  private readonly drain: ChannelDrain;
  private closedReason: PeerCloseReason | null = null;
  downloadedBytes = 0;
  uploadedBytes = 0;
  private readonly gate: HandshakeGate;
  private signedInARow = 0;
  /** Announced segments this peer refused or did not deliver in time (config `peerMaxRefusals`). */
  refusals = 0;
  /** The path's round-trip time as the WebRTC stack measured it, ms (null: not known). */
  pathRttMs: number | null = null;
  private announcedParts = false;
  private announcedSegments = false;

  constructor(
    private readonly platform: EnginePlatform,
    private readonly config: EngineConfig,
    private readonly channel: DataChannelLike,
    readonly remotePeerId: string,
    private readonly localPeerId: string,
    private readonly streamId: string,
    private readonly store: SegmentStore,
    private readonly limiter: UploadLimiter,
    /** Sent before saying a live segment is held. */
    private readonly signedHash: SignedHashLookup = () => undefined,
    /** LL-HLS parts this viewer may upload. */
    private readonly shareablePart: ShareablePartLookup = () => undefined,
  ) {
    super();
    this.throughput = new ThroughputEstimator(config.initialPeerThroughputBytesPerSec);
    this.requestGuard = new RequestGuard(platform.clock, config.peerRequestsPerSec);
    this.holdingGuard = new RequestGuard(platform.clock, config.peerHoldingFramesPerSec);
    this.drain = new ChannelDrain(platform.clock);
    this.downloads = new PeerDownloads({
      clock: platform.clock,
      config,
      remotePeerId,
      throughput: this.throughput,
      send: (frame) => this.sendFrame(frame),
      broke: (violation) => {
        this.log('warn', 'peer broke the transfer', { violation });
        this.close('protocol');
      },
      refused: (rendition, sequence) => this.countRefusal(rendition, sequence),
      received: (bytes) => (this.downloadedBytes += bytes),
      pathRttMs: () => this.pathRttMs,
    });
    this.gate = new HandshakeGate(platform.clock, config.peerConnectTimeoutMs, () => {
      this.log('info', 'peer sent no handshake in time');
      this.close('timeout');
    });
    channel.bufferedAmountLowThreshold = config.bufferedLowWaterBytes;
    channel.onbufferedamountlow = () => this.drain.wake();
    channel.onmessage = (data) => this.onFrame(data);
    channel.onclose = () => this.close('closed');
  }

  get isOpen(): boolean {
    return this.closedReason === null;
  }

  /** Set once the remote's handshake arrives. */
  get handshaken(): boolean {
    return this.gate.handshaken;
  }

  /** Send our handshake and what we hold of each rendition. */
  start(): void {
    this.sendHandshake();
    for (const rendition of this.store.renditions()) {
      const held = this.store.verifiedSequences(rendition);
      if (held.length === 0) continue;
      this.sendSigned(rendition, held);
      this.sendFrame(bitfieldFromSequences(rendition, held));
    }
  }

  has(rendition: string, sequence: number): boolean {
    return this.remoteHave.has(rendition, sequence);
  }

  /**
   * The peer plays whole segments, not LL-HLS parts: it announced segments and never a part.
   * Its parts are never to be waited for, even when it is elected to fetch the segment.
   */
  get playsWholeSegmentsOnly(): boolean {
    return this.announcedSegments && !this.announcedParts;
  }

  hasPart(name: PartName): boolean {
    return this.remoteParts.has(name);
  }

  /** Say we hold a part, its signed entry first (the remote checks the bytes against it). */
  announcePart(name: PartName, signed: SignedPartHash): void {
    this.sendFrame({ type: 'part-signed', rendition: name.rendition, ...signed });
    this.sendFrame({ type: 'part-have', ...name });
  }

  heldSequences(rendition: string): number[] {
    return this.remoteHave.sequences(rendition);
  }

  get activeDownloads(): number {
    return this.downloads.size;
  }

  announce(rendition: string, added: number[], lost: number[]): void {
    if (added.length === 0 && lost.length === 0) return;
    this.sendSigned(rendition, added);
    this.sendFrame({ type: 'have', rendition, added, lost });
  }

  /** The signed entries of these live segments, so the remote need not fetch the manifest. */
  private sendSigned(rendition: string, sequences: readonly number[]): void {
    for (const sequence of sequences) {
      const hash = this.signedHash(rendition, sequence);
      if (hash) this.sendFrame({ type: 'signed', rendition, ...hash });
    }
  }

  /**
   * Download a segment from this peer into `sink` (sized to the segment's signed size), from
   * `offsetBytes` on. On failure or cancel, `sink` keeps the bytes that did arrive, in order,
   * and `onProgress` has reported how far they reach: the caller can resume elsewhere.
   */
  download(
    rendition: string,
    sequence: number,
    options: PeerDownloadOptions,
  ): Cancelable<PeerDownloadResult> {
    return this.downloads.start(rendition, sequence, options, this.isOpen);
  }

  /** Close the session; pending downloads reject, uploads stop. Idempotent. */
  close(reason: PeerCloseReason): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.gate.destroy();
    this.downloads.finishAll(
      () => new EngineError('peer_closed', `peer ${this.remotePeerId} closed (${reason})`),
    );
    for (const upload of this.uploads.values()) upload.canceled = true;
    this.drain.destroy();
    this.channel.onmessage = null;
    this.channel.onclose = null;
    this.channel.onbufferedamountlow = null;
    try {
      this.channel.close();
    } catch (_error) {
      // already closed
    }
    this.emit('closed', reason);
    this.removeAll();
  }

  private sendHandshake(): void {
    this.sendFrame({ type: 'handshake', peerId: this.localPeerId, streamId: this.streamId });
  }

  private sendFrame(frame: PeerFrame): void {
    this.sendBytes(encodePeerFrame(frame));
  }

  private sendBytes(bytes: Uint8Array): boolean {
    if (!this.isOpen || this.channel.readyState !== 'open') return false;
    try {
      this.channel.send(bytes);
      return true;
    } catch (_error) {
      this.close('closed');
      return false;
    }
  }

  private onFrame(data: Uint8Array): void {
    const decoded = decodePeerFrame(data);
    if (!decoded.ok && decoded.error.code === 'unsupported_version') {
      this.log('info', 'peer speaks another protocol version', { error: decoded.error.message });
      this.close('incompatible');
      return;
    }
    if (!decoded.ok) {
      this.log('warn', 'bad frame from peer', { error: decoded.error.message });
      this.close('protocol');
      return;
    }
    const frame = decoded.value;
    if (frame.type === 'handshake') this.onHandshake(frame);
    else if (this.gate.handshaken) this.handleFrame(frame);
    else {
      const verdict = this.gate.early(frame);
      if (verdict === 'overflow') {
        this.log('warn', 'peer sent too many frames before its handshake');
        this.close('protocol');
      } else if (verdict === 'ask') {
        this.log('info', 'peer sent a frame before its handshake: asking again', {
          frame: frame.type,
        });
        this.sendHandshake();
      }
    }
  }

  private onHandshake(frame: Extract<PeerFrame, { type: 'handshake' }>): void {
    if (frame.streamId !== this.streamId || frame.peerId !== this.remotePeerId) {
      this.log('warn', 'peer handshake mismatch', {
        streamId: frame.streamId,
        peerId: frame.peerId,
      });
      this.close('protocol');
      return;
    }
    const outcome = this.gate.handshake();
    if (!outcome.first) {
      if (outcome.answer) this.sendHandshake(); // the remote lost ours
      return;
    }
    for (const held of outcome.held) {
      if (!this.isOpen) return;
      this.handleFrame(held);
    }
  }

  private handleFrame(frame: NonHandshakeFrame): void {
    switch (frame.type) {
      case 'signed':
      case 'part-signed': {
        if (++this.signedInARow > MAX_SIGNED_IN_A_ROW) {
          this.log('warn', 'peer sent too many signed entries in a row');
          this.close('protocol');
          return;
        }
        const { rendition, sequence, sha256, sizeBytes, signature } = frame;
        if (frame.type === 'signed')
          this.emit('signed', rendition, { sequence, sha256, sizeBytes, signature });
        else {
          const { part } = frame;
          this.emit('part-signed', rendition, { sequence, part, sha256, sizeBytes, signature });
        }
        return;
      }
      case 'bitfield':
      case 'have':
      case 'part-have': {
        this.signedInARow = 0;
        // Over the rate a holdings frame is ignored (a stale view only costs refusals); a
        // peer that keeps on is flooding.
        const verdict = this.holdingGuard.check();
        if (verdict === 'flood') {
          this.log('warn', 'peer floods holdings frames', { frame: frame.type });
          this.close('protocol');
        } else if (verdict === 'refuse') return;
        else if (frame.type === 'part-have') {
          const name = { rendition: frame.rendition, sequence: frame.sequence, part: frame.part };
          this.remoteParts.add(name);
          this.announcedParts = true;
          this.emit('part-have', name);
        } else if (frame.type === 'bitfield')
          this.addHave(frame.rendition, this.remoteHave.addBitfield(frame));
        else {
          this.addHave(frame.rendition, this.remoteHave.add(frame.rendition, frame.added));
          for (const sequence of frame.lost) this.remoteHave.delete(frame.rendition, sequence);
        }
        return;
      }
      case 'request':
      case 'part-request':
      case 'cancel': {
        const verdict = this.requestGuard.check();
        if (verdict === 'flood') {
          this.log('warn', 'peer floods requests', { frame: frame.type });
          this.close('protocol');
        } else if (frame.type === 'cancel') this.onCancel(frame.requestId);
        else if (verdict === 'admit')
          this.onRequest(
            frame.requestId,
            requestedBytes(this.store, this.shareablePart, frame),
            frame.offsetBytes,
            frame.type === 'request' ? frame.endBytes : undefined,
          );
        else this.sendAbsent(frame.requestId, AbsentReason.Busy);
        return;
      }
      case 'data':
        this.downloads.onData(frame.requestId, frame.offsetBytes, frame.totalBytes, frame.payload);
        return;
      case 'done':
        this.downloads.onDone(frame.requestId, frame.totalBytes);
        return;
      case 'absent': {
        const pending = this.downloads.get(frame.requestId);
        if (!pending) return;
        const partName = pending.part === null ? null : { ...pending, part: pending.part };
        const announced = partName
          ? this.remoteParts.has(partName)
          : this.remoteHave.has(pending.rendition, pending.sequence);
        if (frame.reason === AbsentReason.NotHeld) {
          if (partName) this.remoteParts.delete(partName);
          else this.remoteHave.delete(pending.rendition, pending.sequence);
        }
        this.downloads.finish(
          pending,
          new EngineError(
            'peer_absent',
            `peer ${this.remotePeerId} refused ${pending.rendition}/${pending.sequence} (${frame.reason})`,
          ),
        );
        if (frame.reason === AbsentReason.NotHeld && announced)
          this.countRefusal(pending.rendition, pending.sequence);
        return;
      }
    }
  }

  private onCancel(requestId: number): void {
    const upload = this.uploads.get(requestId);
    if (upload) upload.canceled = true;
    this.drain.wake();
  }

  private sendAbsent(requestId: number, reason: AbsentReason): void {
    this.sendFrame({ type: 'absent', requestId, reason });
  }

  private addHave(rendition: string, added: number[] | null): void {
    if (added === null) {
      this.log('warn', 'peer announced too many renditions', { rendition });
      this.close('protocol');
      return;
    }
    if (added.length === 0) return;
    this.announcedSegments = true;
    this.emit('have', rendition, added);
  }

  /**
   * A segment the peer said it holds was not delivered: a penalty on its throughput estimate
   * (it is asked less), and past `peerMaxRefusals` the peer is dropped as misbehaving.
   */
  private countRefusal(rendition: string, sequence: number): void {
    this.throughput.stalled();
    if (++this.refusals < this.config.peerMaxRefusals) return;
    this.log('warn', 'peer keeps refusing segments it announced', {
      rendition,
      sequence,
      refusals: this.refusals,
    });
    this.close('protocol');
  }

  private onRequest(
    requestId: number,
    bytes: Uint8Array | undefined,
    offsetBytes: number,
    endBytes: number | undefined,
  ): void {
    const endOffset = endBytes ?? bytes?.byteLength ?? 0;
    if (!bytes || offsetBytes > bytes.byteLength || endOffset > bytes.byteLength) {
      this.sendAbsent(requestId, AbsentReason.NotHeld);
      return;
    }
    if (
      this.uploads.has(requestId) ||
      !mayStartUpload(this.uploads.size, this.config.maxUploadsPerPeer) ||
      !this.limiter.tryAcquireSlot()
    ) {
      this.sendAbsent(requestId, AbsentReason.Busy);
      return;
    }
    const upload: ActiveUpload = { canceled: false };
    this.uploads.set(requestId, upload);
    const range = { offsetBytes, endBytes: endOffset };
    void pumpUpload(this.pumpDeps(), requestId, bytes, range, upload).finally(() => {
      this.uploads.delete(requestId);
      this.limiter.releaseSlot();
    });
  }

  private pumpDeps(): UploadPumpDeps {
    return {
      config: this.config,
      channel: this.channel,
      limiter: this.limiter,
      drain: this.drain,
      sleep: (ms) => new Promise((resolve) => this.platform.clock.setTimeout(resolve, ms)),
      isOpen: () => this.isOpen,
      send: (bytes) => this.sendBytes(bytes),
      onSent: (payloadBytes) => {
        this.uploadedBytes += payloadBytes;
        this.emit('uploaded', payloadBytes);
      },
    };
  }

  private log(
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Record<string, unknown>,
  ): void {
    this.platform.log?.(level, message, {
      component: 'peer',
      peerId: this.remotePeerId,
      ...fields,
    });
  }
}
