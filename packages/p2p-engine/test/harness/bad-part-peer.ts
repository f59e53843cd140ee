import { decodePeerFrame, encodeDataFrames, encodePeerFrame } from '@coral-cdn/protocol';
import type { DataChannelLike } from '../../src/index.js';
import type { PartFixture } from './part-fixture.js';
import type { SimNetwork } from './sim-network.js';
import { WirePeer } from './wire-peer.js';

/**
 * A corrupt LL peer written against the wire protocol: it joins a live swarm, answers offers,
 * announces every part it is given with the origin's genuine signed entry (PART_SIGNED, then
 * PART_HAVE), and answers each PART_REQUEST with the part's bytes with one byte flipped.
 */
export class BadPartPeer extends WirePeer {
  partRequestsServed = 0;

  constructor(
    network: SimNetwork,
    trackerUrl: string,
    swarmId: string,
    streamId: string,
    private readonly rendition: string,
    private readonly parts: readonly PartFixture[],
    nodeId = 'bad-part-peer',
  ) {
    super(network, trackerUrl, swarmId, streamId, nodeId);
  }

  protected joinAs() {
    return { live: true, have: [] };
  }

  protected serve(channel: DataChannelLike): void {
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
}
