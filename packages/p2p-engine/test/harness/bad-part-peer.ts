import {
  decodePeerFrame,
  decodeServerMessage,
  encodeDataFrames,
  encodePeerFrame,
  encodeTrackerMessage,
  PEER_PROTOCOL_VERSION,
  TRACKER_PROTOCOL_VERSION,
} from '@coral-cdn/protocol';
import type { DataChannelLike, WebSocketLike } from '../../src/index.js';
import type { PartFixture } from './part-fixture.js';
import type { SimNetwork } from './sim-network.js';

/**
 * A corrupt LL peer written against the wire protocol: it joins a live swarm, answers offers,
 * announces every part it is given with the origin's genuine signed entry (PART_SIGNED, then
 * PART_HAVE), and answers each PART_REQUEST with the part's bytes with one byte flipped.
 */
export class BadPartPeer {
  peerId: string | null = null;
  partRequestsServed = 0;
  private socket: WebSocketLike | null = null;
  private readonly channels: DataChannelLike[] = [];

  constructor(
    private readonly network: SimNetwork,
    private readonly trackerUrl: string,
    private readonly swarmId: string,
    private readonly streamId: string,
    private readonly rendition: string,
    private readonly parts: readonly PartFixture[],
    readonly nodeId = 'bad-part-peer',
  ) {
    network.addNode(nodeId, 10 * 1024 * 1024);
  }

  start(): void {
    const socket = this.network.createWebSocket(this.trackerUrl);
    this.socket = socket;
    const send = (message: unknown) => socket.send(encodeTrackerMessage(message as never));
    socket.onopen = () =>
      send({
        type: 'join',
        v: TRACKER_PROTOCOL_VERSION,
        token: 't',
        swarmId: this.swarmId,
        region: 'eu-west',
        uploadKbps: 100_000,
        connectionType: 'ethernet',
        live: true,
        have: [],
        peerProtocol: PEER_PROTOCOL_VERSION,
      });
    socket.onmessage = (text) => {
      const decoded = decodeServerMessage(text);
      if (!decoded.ok) return;
      const message = decoded.value;
      if (message.type === 'joined') this.peerId = message.peerId;
      if (message.type === 'signal' && message.signal.kind === 'offer') {
        const pc = this.network.createPeerConnection(this.nodeId);
        const connectionId = message.signal.connectionId;
        pc.ondatachannel = (channel) => {
          this.channels.push(channel);
          channel.onopen = () => this.serve(channel);
        };
        void pc.acceptOffer(message.signal.sdp).then((sdp) =>
          send({
            type: 'signal',
            swarmId: this.swarmId,
            to: message.from,
            signal: { kind: 'answer', connectionId, sdp },
          }),
        );
      }
    };
  }

  private serve(channel: DataChannelLike): void {
    channel.send(
      encodePeerFrame({ type: 'handshake', peerId: this.peerId!, streamId: this.streamId }),
    );
    for (const part of this.parts) {
      const { sequence, sha256, sizeBytes, signature } = part.entry;
      const name = { rendition: this.rendition, sequence, part: part.part };
      channel.send(encodePeerFrame({ type: 'part-signed', ...name, sha256, sizeBytes, signature }));
      channel.send(encodePeerFrame({ type: 'part-have', ...name }));
    }
    channel.onmessage = (data) => {
      const decoded = decodePeerFrame(data);
      if (!decoded.ok || decoded.value.type !== 'part-request') return;
      const request = decoded.value;
      const real = this.parts.find(
        (p) => p.sequence === request.sequence && p.part === request.part,
      );
      if (!real) return;
      this.partRequestsServed++;
      const bytes = real.bytes.slice();
      bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
      for (const frame of encodeDataFrames(request.requestId, bytes, 0, 16 * 1024))
        channel.send(frame);
      channel.send(
        encodePeerFrame({ type: 'done', requestId: request.requestId, totalBytes: bytes.length }),
      );
    };
  }

  stop(): void {
    this.socket?.close();
    for (const channel of this.channels) channel.close();
  }
}
