import { createHash } from 'node:crypto';
import {
  bitfieldFromSequences,
  DATA_HEADER_BYTES,
  decodePeerFrame,
  encodeDataFrames,
  encodePeerFrame,
  PEER_PROTOCOL_VERSION,
} from '@coral-cdn/protocol';
import type { DataChannelLike } from '../../src/index.js';
import type { SimNetwork } from './sim-network.js';
import { WirePeer } from './wire-peer.js';

export type BadPeerMode =
  | 'corrupt-bytes'
  | 'wrong-size'
  | 'garbage-frames'
  | 'forged-signed'
  | 'old-protocol'
  | 'refuse'
  | 'drip';

/**
 * An adversarial peer written against the wire protocol directly: it joins the swarm, claims
 * to hold every segment, answers offers, and serves bytes that are wrong in the chosen way
 * (`forged-signed`: a live peer that sends, before its bitfield, SIGNED entries with the real
 * hashes and sizes but signatures it made up; `old-protocol`: a peer whose frames carry peer
 * protocol version 1 though it joined the tracker as the current version. The real tracker keeps
 * an honest older player apart by its join's `peerProtocol` (apps/tracker rooms.ts); this is the
 * engine's own defence for when that fails: a misconfigured build, or a tracker predating rooms).
 */
export class BadPeer extends WirePeer {
  requestsServed = 0;
  /** Bytes sent of the segments it stalls on. */
  stalledBytesSent = 0;
  /** `drip` mode: transfers it feeds one small chunk at a time, on `drip()`. */
  private readonly dripping: Array<{ channel: DataChannelLike; frames: Iterator<Uint8Array> }> = [];

  constructor(
    network: SimNetwork,
    trackerUrl: string,
    swarmId: string,
    streamId: string,
    private readonly segments: ReadonlyMap<number, Uint8Array>,
    private readonly mode: BadPeerMode,
    nodeId = 'bad-peer',
    /** Sequences it starts to send (the first half, corrupted near the start) and then stalls. */
    private readonly stallSequences: ReadonlySet<number> = new Set(),
  ) {
    super(network, trackerUrl, swarmId, streamId, nodeId);
  }

  protected joinAs() {
    return { live: this.mode === 'forged-signed', have: [...this.segments.keys()] };
  }

  get openChannels(): number {
    return this.channels.filter((channel) => channel.readyState === 'open').length;
  }

  protected serve(channel: DataChannelLike): void {
    const handshake = encodePeerFrame({
      type: 'handshake',
      peerId: this.peerId!,
      streamId: this.streamId,
    });
    if (this.mode === 'old-protocol') handshake[0] = 1;
    channel.send(handshake);
    if (this.mode === 'forged-signed') {
      for (const [sequence, bytes] of this.segments)
        channel.send(
          encodePeerFrame({
            type: 'signed',
            rendition: '240p',
            sequence,
            sizeBytes: bytes.byteLength,
            sha256: createHash('sha256').update(bytes).digest('hex'),
            signature: Buffer.alloc(64, 1).toString('base64url'),
          }),
        );
    }
    channel.send(encodePeerFrame(bitfieldFromSequences('240p', this.segments.keys())));
    channel.onmessage = (data) => {
      const decoded = decodePeerFrame(data);
      if (!decoded.ok || decoded.value.type !== 'request') return;
      const request = decoded.value;
      const real = this.segments.get(request.sequence);
      if (!real) return;
      this.requestsServed++;
      if (this.mode === 'refuse') {
        channel.send(encodePeerFrame({ type: 'absent', requestId: request.requestId, reason: 0 }));
        return;
      }
      if (this.mode === 'drip') {
        const frames = encodeDataFrames(request.requestId, real, 0, 128 + DATA_HEADER_BYTES);
        this.dripping.push({ channel, frames });
        return;
      }
      if (this.mode === 'garbage-frames') {
        channel.send(new Uint8Array([PEER_PROTOCOL_VERSION, 0x05, 0xff, 0xff]));
        return;
      }
      const bytes =
        this.mode === 'wrong-size' ? new Uint8Array(real.byteLength + 10) : real.slice();
      // The first byte it sends is wrong (a resumed or split request starts past 0).
      if (this.mode === 'corrupt-bytes')
        bytes[request.offsetBytes] = bytes[request.offsetBytes]! ^ 0xff;
      if (this.stallSequences.has(request.sequence)) {
        bytes[100] = bytes[100]! ^ 0xff;
        const chunkBytes = 16 * 1024;
        const frames = encodeDataFrames(
          request.requestId,
          bytes,
          0,
          chunkBytes + DATA_HEADER_BYTES,
        );
        for (let offset = 0; offset < bytes.length >> 1; offset += chunkBytes) {
          channel.send(frames.next().value!);
          this.stalledBytesSent += Math.min(chunkBytes, bytes.length - offset);
        }
        return;
      }
      for (const frame of encodeDataFrames(
        request.requestId,
        bytes,
        request.offsetBytes,
        16 * 1024,
        request.endBytes,
      ))
        channel.send(frame);
      channel.send(
        encodePeerFrame({
          type: 'done',
          requestId: request.requestId,
          totalBytes: bytes.byteLength,
        }),
      );
    };
  }

  /** `drip` mode: send the next 128 bytes of every transfer in progress. */
  drip(): void {
    for (const transfer of this.dripping) {
      const next = transfer.frames.next();
      if (!next.done && transfer.channel.readyState === 'open') transfer.channel.send(next.value);
    }
  }
}
