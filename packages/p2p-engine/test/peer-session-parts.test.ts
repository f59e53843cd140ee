import {
  AbsentReason,
  decodePeerFrame,
  encodePeerFrame,
  PEER_PROTOCOL_VERSION,
  type PeerFrame,
  type SignedPartHash,
} from '@coral-cdn/protocol';
import { describe, expect, it } from 'vitest';
import { resolveEngineConfig, type EnginePlatform } from '../src/index.js';
import type { PartName } from '../src/part-key.js';
import { PeerSession } from '../src/peer-session.js';
import { SegmentStore } from '../src/segment-store.js';
import { UploadLimiter } from '../src/upload-limiter.js';
import { FakeClock } from './harness/fake-clock.js';
import { SimDataChannel, SimNetwork } from './harness/sim-network.js';

const entry: SignedPartHash = {
  sequence: 4,
  part: 2,
  sha256: 'cd'.repeat(32),
  sizeBytes: 3,
  signature: 'A'.repeat(86),
};
const name: PartName = { rendition: '240p', sequence: 4, part: 2 };

/** A session holding part 4.2 of 240p, wired to a raw channel the test speaks on. */
function sessionWithRawRemote() {
  const clock = new FakeClock();
  const network = new SimNetwork(clock);
  network.addNode('local');
  network.addNode('remote');
  const local = new SimDataChannel(network, 'local');
  const remote = new SimDataChannel(network, 'remote');
  local.remote = remote;
  remote.remote = local;
  local.open();
  remote.open();
  const received: PeerFrame[] = [];
  remote.onmessage = (data) => {
    const decoded = decodePeerFrame(data);
    if (decoded.ok) received.push(decoded.value);
  };
  const config = resolveEngineConfig({ peerStallTimeoutMs: 1_000 });
  const session = new PeerSession(
    { clock } as unknown as EnginePlatform,
    config,
    local,
    'peer-remote1',
    'peer-local01',
    'demo',
    new SegmentStore(1_000_000),
    new UploadLimiter(clock, 2, 10_000_000, config.maxMessageBytes),
    () => undefined,
    (asked) =>
      asked.rendition === name.rendition &&
      asked.sequence === name.sequence &&
      asked.part === name.part
        ? { bytes: new Uint8Array([7, 8, 9]), signed: entry }
        : undefined,
  );
  const closed: string[] = [];
  session.on('closed', (reason) => closed.push(reason));
  session.start();
  const send = (frame: PeerFrame) => remote.send(encodePeerFrame(frame));
  send({ type: 'handshake', peerId: 'peer-remote1', streamId: 'demo' });
  return { clock, session, received, closed, send, remote };
}

describe('peer session: LL parts', () => {
  it('hears a part entry and a part holding, and announces its own parts entry first', async () => {
    const { clock, session, send, received } = sessionWithRawRemote();
    const signed: Array<[string, SignedPartHash]> = [];
    session.on('part-signed', (rendition, hash) => signed.push([rendition, hash]));
    send({ type: 'part-signed', rendition: '240p', ...entry });
    send({ type: 'part-have', ...name });
    await clock.advance(100);
    expect(signed).toEqual([['240p', entry]]);
    expect(session.hasPart(name)).toBe(true);
    expect(session.hasPart({ ...name, part: 3 })).toBe(false);
    // Holding segment 4 says nothing about its parts, and the other way round.
    expect(session.has('240p', 4)).toBe(false);
    session.announcePart(name, entry);
    await clock.advance(100);
    const types = received.map((frame) => frame.type);
    expect(types.indexOf('part-signed')).toBeLessThan(types.indexOf('part-have'));
  });

  it('serves a held part to a PART_REQUEST, and answers ABSENT for a part it does not hold', async () => {
    const { clock, send, received } = sessionWithRawRemote();
    send({ type: 'part-request', requestId: 5, ...name, offsetBytes: 0 });
    send({ type: 'part-request', requestId: 6, ...name, part: 3, offsetBytes: 0 });
    await clock.advance(200);
    expect(received).toContainEqual(
      expect.objectContaining({ type: 'data', requestId: 5, totalBytes: 3 }),
    );
    expect(received).toContainEqual({ type: 'done', requestId: 5, totalBytes: 3 });
    expect(received).toContainEqual({ type: 'absent', requestId: 6, reason: AbsentReason.NotHeld });
  });

  it('downloads a part with a PART_REQUEST, and an ABSENT forgets the announced part only', async () => {
    const { clock, session, send, received } = sessionWithRawRemote();
    send({ type: 'part-have', ...name });
    await clock.advance(100);
    const download = session.download('240p', 4, { sink: new Uint8Array(3), part: 2 });
    const failed = download.promise.catch((error: Error) => error.message);
    await clock.advance(100);
    const request = received.find((frame) => frame.type === 'part-request');
    expect(request).toMatchObject({ rendition: '240p', sequence: 4, part: 2, offsetBytes: 0 });
    send({ type: 'absent', requestId: (request as { requestId: number }).requestId, reason: 0 });
    await clock.advance(100);
    expect(await failed).toMatch(/refused/);
    expect(session.hasPart(name)).toBe(false);
  });

  it('closes on a truncated part frame: a protocol violation, as for older frames', async () => {
    const { clock, closed, remote } = sessionWithRawRemote();
    // PART_HAVE with a rendition and no sequence or part index.
    remote.send(new Uint8Array([PEER_PROTOCOL_VERSION, 0x0b, 4, 0x32, 0x34, 0x30, 0x70]));
    await clock.advance(100);
    expect(closed).toEqual(['protocol']);
  });
});
