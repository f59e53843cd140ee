import {
  AbsentReason,
  decodePeerFrame,
  encodePeerFrame,
  type AbsentFrame,
  type PeerFrame,
} from '@coral-cdn/protocol';
import { describe, expect, it } from 'vitest';
import { resolveEngineConfig, type EngineConfig, type EnginePlatform } from '../src/index.js';
import { PeerSession } from '../src/peer-session.js';
import { SegmentStore } from '../src/segment-store.js';
import { UploadLimiter } from '../src/upload-limiter.js';
import { FakeClock } from './harness/fake-clock.js';
import { SimDataChannel, SimNetwork } from './harness/sim-network.js';

const SEGMENT_BYTES = 200_000;

/**
 * One serving peer (a store of 240p/0..9, an upload cap slow enough that uploads last) with a
 * session per remote, all sharing one upload limiter; each remote is a raw channel the test
 * speaks the wire protocol on.
 */
function server(remotes: string[], overrides: Partial<EngineConfig> = {}) {
  const clock = new FakeClock();
  const network = new SimNetwork(clock);
  const platform = { clock } as unknown as EnginePlatform;
  const config = resolveEngineConfig({ uploadSlots: 3, maxMessageBytes: 16 * 1024, ...overrides });
  const store = new SegmentStore(10_000_000);
  for (let sequence = 0; sequence < 10; sequence++) {
    store.put({
      rendition: '240p',
      sequence,
      bytes: new Uint8Array(SEGMENT_BYTES),
      source: 'http',
      cdnReason: 'alone',
      timing: { startedAtMs: 0, firstByteAtMs: 0, endedAtMs: 0 },
      verified: true,
      prefetched: false,
    });
  }
  const limiter = new UploadLimiter(clock, config.uploadSlots, 400_000, config.maxMessageBytes);
  network.addNode('local');
  const peers = remotes.map((name, index) => {
    network.addNode(name);
    const local = new SimDataChannel(network, 'local');
    const remote = new SimDataChannel(network, name);
    local.remote = remote;
    remote.remote = local;
    local.open();
    remote.open();
    const received: PeerFrame[] = [];
    remote.onmessage = (data) => {
      const decoded = decodePeerFrame(data);
      if (decoded.ok) received.push(decoded.value);
    };
    const remoteId = `peer-remote${index}`;
    const session = new PeerSession(
      platform,
      config,
      local,
      remoteId,
      'peer-local01',
      'demo',
      store,
      limiter,
    );
    const closed: string[] = [];
    session.on('closed', (reason) => closed.push(reason));
    const send = (frame: PeerFrame) => remote.send(encodePeerFrame(frame));
    send({ type: 'handshake', peerId: remoteId, streamId: 'demo' });
    const request = (requestId: number, sequence = requestId % 10) =>
      send({ type: 'request', requestId, rendition: '240p', sequence, offsetBytes: 0 });
    const busy = () =>
      received.filter(
        (frame): frame is AbsentFrame =>
          frame.type === 'absent' && frame.reason === AbsentReason.Busy,
      ).length;
    return { session, send, request, received, closed, busy };
  });
  return { clock, limiter, peers };
}

describe('requests from hostile peers', () => {
  it('one peer cannot hold every upload slot while another waits', async () => {
    const { clock, limiter, peers } = server(['greedy', 'honest']);
    const [greedy, honest] = peers;
    for (let id = 1; id <= 3; id++) greedy!.request(id);
    await clock.advance(50);
    honest!.request(1);
    await clock.advance(50);
    // Two slots for the greedy peer (maxUploadsPerPeer), its third request refused; the honest
    // peer gets the slot that is left.
    expect(greedy!.busy()).toBe(1);
    expect(honest!.busy()).toBe(0);
    expect(limiter.activeUploads).toBe(3);
  });

  it('answers requests over the per-peer rate busy, and drops a peer that floods', async () => {
    const { clock, peers } = server(['flooder'], { peerRequestsPerSec: 10 });
    const [flooder] = peers;
    // Within the burst (20) and the rate, requests are looked at (two served, the rest busy for
    // slots); over it, each is refused at once.
    for (let id = 1; id <= 30; id++) flooder!.request(id);
    await clock.advance(100);
    expect(flooder!.closed).toEqual([]);
    expect(flooder!.busy()).toBe(28);
    // A CANCEL flood counts too: past another burst's worth of refusals, the peer is dropped.
    for (let id = 100; id < 140; id++) flooder!.send({ type: 'cancel', requestId: id });
    await clock.advance(100);
    expect(flooder!.closed).toEqual(['protocol']);
  });

  it('keeps serving a peer that asks at an honest pace', async () => {
    const { clock, peers } = server(['steady'], { peerRequestsPerSec: 10 });
    const [steady] = peers;
    for (let id = 1; id <= 100; id++) {
      steady!.send({ type: 'cancel', requestId: id });
      await clock.advance(150);
    }
    expect(steady!.closed).toEqual([]);
  });
});
