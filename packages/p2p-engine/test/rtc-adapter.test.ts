import { describe, expect, it } from 'vitest';
import {
  adaptDataChannel,
  adaptPeerConnection,
  EARLY_MESSAGE_LIMIT,
  type StandardDataChannel,
  type StandardPeerConnection,
} from '../src/adapters/rtc.js';

/** A standard data channel as a browser hands it over: events are only properties to call. */
function standardChannel() {
  const channel: StandardDataChannel & { sent: unknown[] } = {
    readyState: 'open',
    bufferedAmount: 0,
    bufferedAmountLowThreshold: 0,
    binaryType: 'blob',
    sent: [],
    close() {},
    onopen: null,
    onclose: null,
    onmessage: null,
  };
  const receive = (byte: number) => channel.onmessage?.({ data: new Uint8Array([byte]).buffer });
  return { channel, receive };
}

const flushMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('the standard data channel adapter', () => {
  it('asks for binary messages as ArrayBuffers', () => {
    const { channel } = standardChannel();
    adaptDataChannel(channel);
    expect(channel.binaryType).toBe('arraybuffer');
  });

  it('passes each message on at once when the engine has taken the channel', () => {
    const { channel, receive } = standardChannel();
    const adapted = adaptDataChannel(channel);
    const got: number[] = [];
    adapted.onmessage = (bytes) => got.push(bytes[0]!);
    receive(1);
    expect(got).toEqual([1]);
    channel.onmessage?.({ data: 'text is not the peer protocol' });
    expect(got).toEqual([1]);
  });

  it('keeps messages that came before the engine took the channel, and hands them over in order', async () => {
    // Should a stack run the remote's first messages before this side's open event: the
    // BITFIELD among them is sent once, so a lost one would hide the remote's holdings.
    const { channel, receive } = standardChannel();
    const adapted = adaptDataChannel(channel);
    receive(1);
    receive(2);
    const got: number[] = [];
    adapted.onmessage = (bytes) => got.push(bytes[0]!);
    // Handed over once the taker has finished setting up (a microtask), not inside the setter.
    expect(got).toEqual([]);
    receive(3);
    expect(got).toEqual([]);
    await flushMicrotasks();
    expect(got).toEqual([1, 2, 3]);
    receive(4);
    expect(got).toEqual([1, 2, 3, 4]);
  });

  it('keeps what is left when the handler is taken away before the hand-over', async () => {
    const { channel, receive } = standardChannel();
    const adapted = adaptDataChannel(channel);
    receive(1);
    adapted.onmessage = () => expect.unreachable('a handler taken away gets nothing');
    adapted.onmessage = null;
    await flushMicrotasks();
    const got: number[] = [];
    adapted.onmessage = (bytes) => got.push(bytes[0]!);
    await flushMicrotasks();
    expect(got).toEqual([1]);
  });

  it('keeps at most EARLY_MESSAGE_LIMIT messages for a channel nobody took', async () => {
    const { channel, receive } = standardChannel();
    const adapted = adaptDataChannel(channel);
    for (let i = 0; i < EARLY_MESSAGE_LIMIT + 10; i++) receive(i % 256);
    let count = 0;
    adapted.onmessage = () => count++;
    await flushMicrotasks();
    expect(count).toBe(EARLY_MESSAGE_LIMIT);
  });
});

describe('the standard peer connection adapter', () => {
  const pair = {
    type: 'candidate-pair',
    id: 'P',
    localCandidateId: 'L',
    remoteCandidateId: 'R',
    nominated: true,
    state: 'succeeded',
    currentRoundTripTime: 0.042,
  };
  const report = [
    { type: 'local-candidate', id: 'L', candidateType: 'srflx' },
    { type: 'remote-candidate', id: 'R', candidateType: 'host' },
    pair,
    { type: 'transport', id: 'T', selectedCandidatePairId: 'P' },
  ];
  function standardConnection(getStats?: () => Promise<unknown>): StandardPeerConnection {
    const description = { type: 'offer', sdp: 'v=0' };
    return {
      createDataChannel: () => standardChannel().channel,
      createOffer: () => Promise.resolve(description),
      createAnswer: () => Promise.resolve(description),
      setLocalDescription: () => Promise.resolve(),
      setRemoteDescription: () => Promise.resolve(),
      addIceCandidate: () => Promise.resolve(),
      localDescription: null,
      connectionState: 'connected',
      ...(getStats ? { getStats } : {}),
      close() {},
    };
  }

  it('reads the selected pair type and round trip from one getStats', async () => {
    let reads = 0;
    const adapted = adaptPeerConnection(
      standardConnection(() => {
        reads++;
        return Promise.resolve(report);
      }),
    );
    expect(await adapted.selectedPath?.()).toEqual({ type: 'srflx', rttMs: 42 });
    expect(reads).toBe(1);
  });

  it('offers no reading for a stack without stats', () => {
    const adapted = adaptPeerConnection(standardConnection());
    expect(adapted.selectedPath).toBeUndefined();
  });
});
