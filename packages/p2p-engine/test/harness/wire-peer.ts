import {
  decodeServerMessage,
  encodeTrackerMessage,
  PEER_PROTOCOL_VERSION,
  TRACKER_PROTOCOL_VERSION,
} from '@coral-cdn/protocol';
import type { DataChannelLike, WebSocketLike } from '../../src/index.js';
import type { SimNetwork } from './sim-network.js';

/**
 * A peer written against the wire protocol directly, for the hostile-peer tests: it joins the
 * swarm on the tracker, answers every offer, and hands each data channel that opens to
 * `serve` (what it says and sends there is the subclass's business).
 */
export abstract class WirePeer {
  peerId: string | null = null;
  offersAnswered = 0;
  private socket: WebSocketLike | null = null;
  protected readonly channels: DataChannelLike[] = [];

  constructor(
    protected readonly network: SimNetwork,
    private readonly trackerUrl: string,
    protected readonly swarmId: string,
    protected readonly streamId: string,
    readonly nodeId: string,
  ) {
    network.addNode(nodeId, 10 * 1024 * 1024);
  }

  /** What the join says: a live swarm, and the sequences it claims to hold. */
  protected abstract joinAs(): { live: boolean; have: number[] };

  protected abstract serve(channel: DataChannelLike): void;

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
        ...this.joinAs(),
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
        this.offersAnswered++;
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

  stop(): void {
    this.socket?.close();
    for (const channel of this.channels) channel.close();
  }
}
