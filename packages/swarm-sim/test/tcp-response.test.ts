import { describe, expect, it } from 'vitest';
import { SimCdnClient } from '../src/cdn.js';
import { EventClock } from '../src/event-clock.js';
import { FlowNetwork, Link } from '../src/flow-network.js';
import { scenarioSpec } from '../src/scenarios.js';
import { simulate } from '../src/simulate.js';
import { CDN_BASE, SimStream } from '../src/stream.js';
import { createSigningKey, createSimSubtle } from '../src/node-crypto.js';
import { mathisBytesPerSec } from '../src/paths.js';
import {
  newTcpState,
  restartedTcpState,
  tcpResponse,
  TCP_INITIAL_WINDOW_BYTES,
  TCP_MSS_BYTES,
} from '../src/tcp-response.js';

const SEGMENT_BYTES = 116_000;

describe('a response over TCP from the CDN', () => {
  it('fits in the first round trip when it fits the initial window', () => {
    expect(tcpResponse(newTcpState(0.011), TCP_INITIAL_WINDOW_BYTES, 84, 0.011).bodyMs).toBe(0);
  });

  it('takes four rounds for a first 116 kB segment before the expected loss', () => {
    // 1/p = 91 packets (131 kB) of slow start at 1.1% loss: 14.5 + 29 + 58 kB, then the rest.
    const { bodyMs, after } = tcpResponse(newTcpState(0.011), SEGMENT_BYTES, 84, 0.011);
    expect(bodyMs).toBe(3 * 84);
    expect(after.windowBytes).toBe(TCP_INITIAL_WINDOW_BYTES + SEGMENT_BYTES);
    expect(after.lossFreeLeftBytes).toBeCloseTo(TCP_MSS_BYTES / 0.011 - SEGMENT_BYTES, 6);
  });

  it('goes at the loss cap after the loss that ends slow start', () => {
    // 1.8% loss: 80.4 kB in three rounds, the other 35.6 kB at the Mathis rate.
    const lossFree = TCP_MSS_BYTES / 0.018;
    const { bodyMs, after } = tcpResponse(newTcpState(0.018), SEGMENT_BYTES, 72, 0.018);
    const capBytesPerSec = mathisBytesPerSec(72, 0.018, TCP_MSS_BYTES);
    expect(bodyMs).toBeCloseTo(2 * 72 + ((SEGMENT_BYTES - lossFree) / capBytesPerSec) * 1000, 6);
    expect(after.lossFreeLeftBytes).toBe(0);
    // Past slow start every byte goes at the cap.
    expect(tcpResponse(after, SEGMENT_BYTES, 72, 0.018).bodyMs).toBeCloseTo(
      (SEGMENT_BYTES / capBytesPerSec) * 1000,
      6,
    );
  });

  it('restarts slow start after idle, up to the window the loss cap left', () => {
    const past = tcpResponse(newTcpState(0.005), 1_000_000, 40, 0.005).after;
    const restarted = restartedTcpState(past, 0.005);
    expect(restarted.windowBytes).toBe(TCP_INITIAL_WINDOW_BYTES);
    expect(restarted.thresholdBytes).toBe(past.thresholdBytes);
    expect(restarted.lossFreeLeftBytes).toBeCloseTo(TCP_MSS_BYTES / 0.005, 6);
    const capBytesPerSec = mathisBytesPerSec(40, 0.005, TCP_MSS_BYTES);
    const slowStartBytes = past.thresholdBytes - TCP_INITIAL_WINDOW_BYTES;
    const rounds = Math.ceil(Math.log2(slowStartBytes / TCP_INITIAL_WINDOW_BYTES + 1));
    expect(tcpResponse(restarted, SEGMENT_BYTES, 40, 0.005).bodyMs).toBeCloseTo(
      (rounds - 1) * 40 + ((SEGMENT_BYTES - slowStartBytes) / capBytesPerSec) * 1000,
      6,
    );
  });

  it('keeps a lossless connection in slow start, its window growing', () => {
    const first = tcpResponse(newTcpState(0), SEGMENT_BYTES, 50, 0);
    expect(first.bodyMs).toBe(3 * 50);
    // The window is now 130.5 kB: the next segment comes in one round.
    expect(tcpResponse(first.after, SEGMENT_BYTES, 50, 0).bodyMs).toBe(0);
  });
});

describe('the simulated CDN client', () => {
  async function client(rttMs: number, lossRate: number) {
    const clock = new EventClock();
    const subtle = createSimSubtle({ digests: 0, verifies: 0, verifyCacheHits: 0 });
    const stream = await SimStream.create(
      {
        streamId: 'tcp',
        live: false,
        renditions: [{ name: 'r', bitrateBitsPerSec: 464_000 }],
        segmentDurationSec: 2,
        segments: 4,
        byteScale: 1,
      },
      subtle,
      createSigningKey().privateKey,
    );
    const http = new SimCdnClient(
      clock,
      new FlowNetwork(clock, null),
      stream,
      { egress: null, firstByteMs: 0, onEgress: () => undefined },
      new Link(1e9),
      rttMs,
      lossRate,
    );
    /** How long a GET of `name` started at `atMs` takes, ms (run until it ends). */
    const get = async (name: string, atMs: number): Promise<number> => {
      await clock.runUntil(atMs);
      let endMs = Number.NaN;
      void http.get({ url: `${CDN_BASE}/vod/tcp/r/${name}` }).promise.then(() => {
        endMs = clock.now();
      });
      while (Number.isNaN(endMs) && clock.now() < atMs + 4000)
        await clock.runUntil(clock.now() + 1);
      return endMs - atMs;
    };
    return { get };
  }

  it('pays a handshake once, and restarts slow start only after an idle RTO', async () => {
    const { get } = await client(50, 0);
    // The flow network delivers on whole milliseconds: each 64 KiB chunk may end 1 ms late.
    const expectMs = async (took: Promise<number>, ms: number) => {
      const lateMs = (await took) - ms;
      expect(lateMs).toBeGreaterThanOrEqual(0);
      expect(lateMs).toBeLessThanOrEqual(2);
    };
    await expectMs(get('index.m3u8', 0), 2 * 50); // handshake + request
    await expectMs(get('seg_00000.m4s', 200), 50 + 3 * 50); // four rounds from 10 MSS
    await expectMs(get('seg_00001.m4s', 500), 50); // 100 ms idle: its window carries it whole
    await expectMs(get('seg_00002.m4s', 5000), 50 + 3 * 50); // idle: from 10 MSS again
  });

  it('puts the lab homes’ start-up where the lab measured it', async () => {
    // CDN-only start-up medians per home over 12 lab rounds (`npm run bench -- internet
    // --quick`, quick homes of seed 1, both scenarios): about seven round trips each.
    const labMs = [579, 291, 434, 590, 563, 437];
    const result = await simulate(
      scenarioSpec('lab-internet-vod', { viewers: 6, watchSec: 25, seed: 1, p2p: false }),
    );
    result.viewers.forEach((viewer, i) => {
      const ratio = viewer.startupMs! / labMs[i]!;
      expect(ratio, `home ${i}: ${viewer.startupMs} ms`).toBeGreaterThan(0.9);
      expect(ratio, `home ${i}: ${viewer.startupMs} ms`).toBeLessThan(1.2);
    });
  });
});
