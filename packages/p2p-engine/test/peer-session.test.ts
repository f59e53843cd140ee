import {
  AbsentReason,
  bitfieldFromSequences,
  MAX_BITFIELD_COUNT,
  sequencesFromBitfield,
  decodePeerFrame,
  encodePeerFrame,
  PEER_PROTOCOL_VERSION,
  type PeerFrame,
  type SignedSegmentHash,
} from '@coral-cdn/protocol';
import { describe, expect, it } from 'vitest';
import { resolveEngineConfig, type EnginePlatform } from '../src/index.js';
import { MAX_FRAMES_BEFORE_HANDSHAKE, MAX_HANDSHAKE_REPLIES } from '../src/handshake-gate.js';
import { PeerSession } from '../src/peer-session.js';
import {
  MAX_REMOTE_RENDITIONS,
  REMOTE_WINDOW_SEQUENCES,
  RemoteHoldings,
} from '../src/remote-holdings.js';
import { SegmentStore } from '../src/segment-store.js';
import { UploadLimiter } from '../src/upload-limiter.js';
import { FakeClock } from './harness/fake-clock.js';
import { SimDataChannel, SimNetwork } from './harness/sim-network.js';

/** A session under test, wired to a raw channel the test speaks the wire protocol on. */
function sessionWithRawRemote(
  options: {
    /** Verified segments of 240p in the store before the session starts. */
    held?: number[];
    signedHash?: (rendition: string, sequence: number) => SignedSegmentHash | undefined;
  } = {},
) {
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
  const platform = { clock } as unknown as EnginePlatform;
  const config = resolveEngineConfig({ peerStallTimeoutMs: 1_000 });
  const store = new SegmentStore(1_000_000);
  for (const sequence of options.held ?? []) putVerified(store, sequence);
  const session = new PeerSession(
    platform,
    config,
    local,
    'peer-remote1',
    'peer-local01',
    'demo',
    store,
    new UploadLimiter(clock, 2, 10_000_000, config.maxMessageBytes),
    options.signedHash,
  );
  const closed: string[] = [];
  session.on('closed', (reason) => closed.push(reason));
  session.start();
  const send = (frame: PeerFrame) => remote.send(encodePeerFrame(frame));
  return { clock, session, store, received, closed, send, remote };
}

function storedSegment(sequence: number) {
  return {
    rendition: '240p',
    sequence,
    bytes: new Uint8Array(3),
    source: 'http' as const,
    cdnReason: 'alone' as const,
    timing: { startedAtMs: 0, firstByteAtMs: 0, endedAtMs: 0 },
    verified: true,
    prefetched: false,
  };
}

function putVerified(store: SegmentStore, sequence: number): void {
  store.put({
    rendition: '240p',
    sequence,
    bytes: new Uint8Array(3),
    source: 'http',
    cdnReason: 'alone',
    timing: { startedAtMs: 0, firstByteAtMs: 0, endedAtMs: 0 },
    verified: true,
    prefetched: false,
  });
}

/** A signed entry as the origin makes them (the session does not check signatures). */
function signedEntry(sequence: number): SignedSegmentHash {
  return { sequence, sha256: 'cd'.repeat(32), sizeBytes: 3, signature: 'A'.repeat(86) };
}

describe('peer session', () => {
  it('introduces itself and what it holds', async () => {
    const { clock, store, received, session } = sessionWithRawRemote();
    await clock.advance(100);
    expect(received[0]).toEqual({ type: 'handshake', peerId: 'peer-local01', streamId: 'demo' });
    store.put({
      rendition: '240p',
      sequence: 9,
      bytes: new Uint8Array(3),
      source: 'http',
      cdnReason: 'alone',
      timing: { startedAtMs: 0, firstByteAtMs: 0, endedAtMs: 0 },
      verified: true,
      prefetched: false,
    });
    session.announce('240p', [9], []);
    await clock.advance(100);
    expect(received[1]).toEqual({ type: 'have', rendition: '240p', added: [9], lost: [] });
  });

  it('sends the signed entry of a live segment it holds before saying it holds it', async () => {
    // Live 7 and 8 have signed entries; 6 has none (a VOD hash, or integrity off).
    const signedHash = (rendition: string, sequence: number) =>
      rendition === '240p' && sequence >= 7 ? signedEntry(sequence) : undefined;
    const { clock, store, received, session } = sessionWithRawRemote({
      held: [6, 7, 8],
      signedHash,
    });
    await clock.advance(100);
    expect(received.map((frame) => frame.type)).toEqual([
      'handshake',
      'signed',
      'signed',
      'bitfield',
    ]);
    expect(received[1]).toEqual({ type: 'signed', rendition: '240p', ...signedEntry(7) });
    putVerified(store, 9);
    session.announce('240p', [9], []);
    await clock.advance(100);
    expect(received.slice(4)).toEqual([
      { type: 'signed', rendition: '240p', ...signedEntry(9) },
      { type: 'have', rendition: '240p', added: [9], lost: [] },
    ]);
  });

  it('passes on the signed entries it receives, and closes on more in a row than a viewer keeps', async () => {
    const { clock, session, send, closed } = sessionWithRawRemote();
    const heard: Array<[string, SignedSegmentHash]> = [];
    session.on('signed', (rendition, hash) => heard.push([rendition, hash]));
    send({ type: 'handshake', peerId: 'peer-remote1', streamId: 'demo' });
    send({ type: 'signed', rendition: '240p', ...signedEntry(5) });
    send({ type: 'have', rendition: '240p', added: [5], lost: [] });
    await clock.advance(100);
    expect(heard).toEqual([['240p', signedEntry(5)]]);
    expect(closed).toEqual([]);
    for (let sequence = 100; sequence <= 612; sequence++)
      send({ type: 'signed', rendition: '240p', ...signedEntry(sequence) });
    await clock.advance(100);
    expect(heard).toHaveLength(513);
    expect(closed).toEqual(['protocol']);
  });

  it('holds frames that come before the handshake, asks for it again, then handles them', async () => {
    const { clock, closed, send, session, received } = sessionWithRawRemote();
    send({ type: 'have', rendition: '240p', added: [1], lost: [] });
    send({ type: 'have', rendition: '240p', added: [2], lost: [] });
    await clock.advance(100);
    expect(closed).toEqual([]);
    expect(session.has('240p', 1)).toBe(false);
    // Our handshake again (once, however many frames wait): the remote's was lost.
    expect(received.map((frame) => frame.type)).toEqual(['handshake', 'handshake']);
    send({ type: 'handshake', peerId: 'peer-remote1', streamId: 'demo' });
    await clock.advance(100);
    expect(session.handshaken).toBe(true);
    expect(session.heldSequences('240p')).toEqual([1, 2]);
    expect(received).toHaveLength(2);
  });

  it('closes on more frames before the handshake than a start sends', async () => {
    const { clock, closed, send } = sessionWithRawRemote();
    for (let sequence = 0; sequence < MAX_FRAMES_BEFORE_HANDSHAKE; sequence++)
      send({ type: 'have', rendition: '240p', added: [sequence], lost: [] });
    await clock.advance(100);
    expect(closed).toEqual([]);
    send({ type: 'have', rendition: '240p', added: [99], lost: [] });
    await clock.advance(100);
    expect(closed).toEqual(['protocol']);
  });

  it('closes a remote that sends no handshake in the connect timeout, as a timeout', async () => {
    const late = sessionWithRawRemote();
    await late.clock.advance(4_900);
    expect(late.closed).toEqual([]);
    await late.clock.advance(200);
    expect(late.closed).toEqual(['timeout']);
    const prompt = sessionWithRawRemote();
    prompt.send({ type: 'handshake', peerId: 'peer-remote1', streamId: 'demo' });
    await prompt.clock.advance(10_000);
    expect(prompt.closed).toEqual([]);
  });

  it('answers a repeated handshake (the remote lost ours) with its own, a few times', async () => {
    const { clock, closed, send, received } = sessionWithRawRemote();
    for (let i = 0; i < MAX_HANDSHAKE_REPLIES + 3; i++)
      send({ type: 'handshake', peerId: 'peer-remote1', streamId: 'demo' });
    await clock.advance(100);
    expect(closed).toEqual([]);
    const handshakes = received.filter((frame) => frame.type === 'handshake');
    expect(handshakes).toHaveLength(1 + MAX_HANDSHAKE_REPLIES);
  });

  it('closes on a handshake for another stream or from another peer id', async () => {
    const a = sessionWithRawRemote();
    a.send({ type: 'handshake', peerId: 'peer-remote1', streamId: 'other' });
    await a.clock.advance(100);
    expect(a.closed).toEqual(['protocol']);
    const b = sessionWithRawRemote();
    b.send({ type: 'handshake', peerId: 'peer-someone', streamId: 'demo' });
    await b.clock.advance(100);
    expect(b.closed).toEqual(['protocol']);
  });

  it('closes on a frame of another protocol version as incompatible, not as abuse', async () => {
    const { clock, closed, remote } = sessionWithRawRemote();
    remote.send(new Uint8Array([1, 8, 0, 0, 0, 1])); // a version 1 CANCEL
    await clock.advance(100);
    expect(closed).toEqual(['incompatible']);
  });

  it('closes on bytes that are not a frame', async () => {
    const { clock, closed, remote } = sessionWithRawRemote();
    remote.send(new Uint8Array([PEER_PROTOCOL_VERSION, 0x7f, 9])); // an unknown frame type
    await clock.advance(100);
    expect(closed).toEqual(['protocol']);
  });

  it('tracks what the remote holds from bitfields and have deltas, and forgets on ABSENT', async () => {
    const { clock, session, send } = sessionWithRawRemote();
    send({ type: 'handshake', peerId: 'peer-remote1', streamId: 'demo' });
    send({ type: 'have', rendition: '240p', added: [4, 5], lost: [] });
    await clock.advance(100);
    expect(session.has('240p', 5)).toBe(true);
    const sink = new Uint8Array(10);
    const download = session.download('240p', 5, { sink });
    const outcome = download.promise.catch((error: unknown) => error);
    await clock.advance(100);
    send({ type: 'absent', requestId: 1, reason: AbsentReason.NotHeld });
    await clock.advance(100);
    expect(await outcome).toMatchObject({ code: 'peer_absent' });
    expect(session.has('240p', 5)).toBe(false);
    expect(session.has('240p', 4)).toBe(true);
    send({ type: 'have', rendition: '240p', added: [], lost: [4] });
    await clock.advance(100);
    expect(session.has('240p', 4)).toBe(false);
  });

  it('hostile: a peer announcing more renditions than a stream has is dropped, its state bounded', async () => {
    const { clock, session, send, closed } = sessionWithRawRemote();
    send({ type: 'handshake', peerId: 'peer-remote1', streamId: 'demo' });
    for (let i = 0; i <= MAX_REMOTE_RENDITIONS; i++)
      send({ type: 'have', rendition: `r${i}`, added: [1], lost: [] });
    await clock.advance(100);
    expect(closed).toEqual(['protocol']);
    expect(session.has(`r${MAX_REMOTE_RENDITIONS}`, 1)).toBe(false);
  });

  it('hostile: holdings stay within a window of the newest announced sequences', async () => {
    const { clock, session, send, closed } = sessionWithRawRemote();
    send({ type: 'handshake', peerId: 'peer-remote1', streamId: 'demo' });
    const spread = Array.from({ length: 64 }, (_, i) => i * 1_000);
    send({ type: 'have', rendition: '240p', added: spread, lost: [] });
    await clock.advance(100);
    expect(closed).toEqual([]);
    const held = session.heldSequences('240p');
    expect(held.length).toBeLessThanOrEqual(REMOTE_WINDOW_SEQUENCES);
    expect(Math.min(...held)).toBeGreaterThan(63_000 - REMOTE_WINDOW_SEQUENCES);
    expect(session.has('240p', 63_000)).toBe(true);
  });

  it('hostile: a flood of full-width BITFIELDs is cut off and the peer dropped, its holdings bounded', async () => {
    const { clock, session, send, closed } = sessionWithRawRemote();
    send({ type: 'handshake', peerId: 'peer-remote1', streamId: 'demo' });
    const all = Array.from({ length: MAX_BITFIELD_COUNT }, (_, i) => i + 1);
    const frame = bitfieldFromSequences('240p', all);
    expect(frame.count).toBe(MAX_BITFIELD_COUNT);
    // The burst (2 x peerHoldingFramesPerSec) is accepted, then ignored, then the peer is cut.
    for (let i = 0; i < 200; i++) send(frame);
    await clock.advance(1_000);
    expect(closed).toEqual(['protocol']);
    const held = session.heldSequences('240p');
    expect(held.length).toBe(REMOTE_WINDOW_SEQUENCES);
    expect(Math.min(...held)).toBe(MAX_BITFIELD_COUNT - REMOTE_WINDOW_SEQUENCES + 1);
  });

  it('a BITFIELD records what the whole frame would have, within the window', () => {
    // Against the plain reading (every set bit) for sparse and dense frames of several widths.
    for (const [width, every] of [
      [10, 1],
      [5_000, 3],
      [MAX_BITFIELD_COUNT, 7],
      [MAX_BITFIELD_COUNT, 40_000],
    ] as const) {
      const sequences = Array.from({ length: width }, (_, i) => 100 + i).filter(
        (_, i) => i % every === 0,
      );
      const frame = bitfieldFromSequences('240p', sequences);
      const clipped = new RemoteHoldings();
      const plain = new RemoteHoldings();
      expect(clipped.addBitfield(frame)).toEqual(plain.add('240p', sequencesFromBitfield(frame)));
      expect(clipped.sequences('240p').sort()).toEqual(plain.sequences('240p').sort());
    }
    expect(new RemoteHoldings().addBitfield(bitfieldFromSequences('240p', []))).toEqual([]);
  });

  it('ignores late chunks of a cancelled request, and times out a silent one', async () => {
    const { clock, session, send, received, closed } = sessionWithRawRemote();
    send({ type: 'handshake', peerId: 'peer-remote1', streamId: 'demo' });
    await clock.advance(50);
    const first = session.download('240p', 1, { sink: new Uint8Array(4) });
    const firstOutcome = first.promise.catch((error: unknown) => error);
    first.cancel();
    expect(await firstOutcome).toMatchObject({ code: 'aborted' });
    send({ type: 'data', requestId: 1, offsetBytes: 0, totalBytes: 4, payload: new Uint8Array(4) });
    await clock.advance(100);
    expect(closed).toEqual([]);
    expect(received.map((f) => f.type)).toContain('cancel');
    const second = session.download('240p', 2, { sink: new Uint8Array(4) });
    const secondOutcome = second.promise.catch((error: unknown) => error);
    await clock.advance(1_100);
    expect(await secondOutcome).toMatchObject({ code: 'peer_timeout' });
  });

  it('serves only the asked range of a split request, then DONE', async () => {
    const { clock, store, send, received } = sessionWithRawRemote();
    const bytes = new Uint8Array(40_000).map((_, i) => i & 0xff);
    store.put({ ...storedSegment(5), bytes });
    send({ type: 'handshake', peerId: 'peer-remote1', streamId: 'demo' });
    send({
      type: 'request',
      requestId: 3,
      rendition: '240p',
      sequence: 5,
      offsetBytes: 100,
      endBytes: 20_000,
    });
    await clock.advance(500);
    const data = received.filter((f) => f.type === 'data');
    expect(data[0]?.offsetBytes).toBe(100);
    const last = data[data.length - 1]!;
    expect(last.offsetBytes + last.payload.byteLength).toBe(20_000);
    expect(data.reduce((sum, f) => sum + f.payload.byteLength, 0)).toBe(19_900);
    expect(received).toContainEqual({ type: 'done', requestId: 3, totalBytes: 40_000 });
    // A range past the segment's end is not held.
    send({
      type: 'request',
      requestId: 4,
      rendition: '240p',
      sequence: 5,
      offsetBytes: 0,
      endBytes: 40_001,
    });
    await clock.advance(100);
    expect(received).toContainEqual({ type: 'absent', requestId: 4, reason: AbsentReason.NotHeld });
  });

  it('asks for a range with its end, and drops a peer that sends past it', async () => {
    const { clock, session, send, received, closed } = sessionWithRawRemote();
    send({ type: 'handshake', peerId: 'peer-remote1', streamId: 'demo' });
    await clock.advance(50);
    const sink = new Uint8Array(10);
    const ranged = session.download('240p', 1, { sink, offsetBytes: 2, endBytes: 6 });
    await clock.advance(50);
    expect(received).toContainEqual({
      type: 'request',
      requestId: 1,
      rendition: '240p',
      sequence: 1,
      offsetBytes: 2,
      endBytes: 6,
    });
    const payload = new Uint8Array([1, 2, 3, 4]);
    send({ type: 'data', requestId: 1, offsetBytes: 2, totalBytes: 10, payload });
    send({ type: 'done', requestId: 1, totalBytes: 10 });
    await clock.advance(50);
    await ranged.promise;
    expect([...sink]).toEqual([0, 0, 1, 2, 3, 4, 0, 0, 0, 0]);
    // A whole-segment request carries no end.
    const whole = session.download('240p', 2, { sink: new Uint8Array(10), offsetBytes: 0 });
    const wholeOutcome = whole.promise.catch((error: unknown) => error);
    await clock.advance(50);
    expect(received.find((f) => f.type === 'request' && f.requestId === 2)).not.toHaveProperty(
      'endBytes',
    );
    whole.cancel();
    await wholeOutcome;
    const overrun = session.download('240p', 3, { sink: new Uint8Array(10), endBytes: 6 });
    const outcome = overrun.promise.catch((error: unknown) => error);
    await clock.advance(50);
    send({
      type: 'data',
      requestId: 3,
      offsetBytes: 0,
      totalBytes: 10,
      payload: new Uint8Array(8),
    });
    await clock.advance(50);
    expect(await outcome).toMatchObject({ code: 'peer_protocol' });
    expect(closed).toEqual(['protocol']);
  });

  it('answers a request for something it does not hold with ABSENT', async () => {
    const { clock, send, received } = sessionWithRawRemote();
    send({ type: 'handshake', peerId: 'peer-remote1', streamId: 'demo' });
    send({ type: 'request', requestId: 7, rendition: '240p', sequence: 3, offsetBytes: 0 });
    await clock.advance(100);
    expect(received).toContainEqual({ type: 'absent', requestId: 7, reason: AbsentReason.NotHeld });
  });
});
