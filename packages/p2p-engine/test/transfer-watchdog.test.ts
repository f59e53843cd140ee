import { describe, expect, it } from 'vitest';
import {
  MIN_BYTES_FOR_RATE,
  projectedEndMs,
  transferFallsBehind,
  type WatchdogSnapshot,
} from '../src/peer-transfer.js';
import { PEER_REQUEST_LATENCY_MS } from '../src/segment-decision.js';

/**
 * The running peer transfer's watchdog, rule by rule. Base: started at 10 s, looked at 1 s
 * later, 64 KB moved since the first byte at 10.5 s (128 KB/s), 128 KB to go, due at 14 s with
 * a 1 s margin.
 */
const base: WatchdogSnapshot = {
  nowMs: 11_000,
  startedAtMs: 10_000,
  firstByteAtMs: 10_500,
  movedBytes: 64_000,
  remainingBytes: 128_000,
  estimateBytesPerSec: 1_000_000,
  maxMessageBytes: 16_000,
  deadlineMs: 14_000,
  safetyMarginMs: 1_000,
  urgent: true,
};

describe('peer transfer watchdog', () => {
  it('measures the transfer by its own rate once it moved enough', () => {
    // 64 KB in 500 ms = 128 KB/s; 128 KB to go = 1 s.
    expect(projectedEndMs(base)).toBe(12_000);
    expect(transferFallsBehind({ ...base, deadlineMs: 13_000 })).toBe(false);
    expect(transferFallsBehind({ ...base, deadlineMs: 12_999 })).toBe(true);
  });

  it('uses the peer estimate until the transfer moved enough to measure', () => {
    const little = { ...base, movedBytes: MIN_BYTES_FOR_RATE - 1 };
    expect(projectedEndMs(little)).toBe(11_000 + 128);
    expect(projectedEndMs({ ...base, movedBytes: MIN_BYTES_FOR_RATE })).toBeCloseTo(
      11_000 + (128_000 * 500) / MIN_BYTES_FOR_RATE,
    );
  });

  it('with no byte yet: at most one message per elapsed time, plus what is left of the request latency', () => {
    const silent = { ...base, firstByteAtMs: null, movedBytes: 0, nowMs: 10_020 };
    // 20 ms elapsed: 16 KB / 20 ms = 800 KB/s, below the 1 MB/s estimate; 40 ms of latency left.
    expect(projectedEndMs(silent)).toBe(10_020 + (PEER_REQUEST_LATENCY_MS - 20) + 160);
    // Long silent: the bound falls far below the estimate, the latency is spent.
    expect(projectedEndMs({ ...silent, nowMs: 12_000 })).toBe(12_000 + 16_000);
    // A fresh start (0 ms elapsed) counts as 1 ms.
    expect(projectedEndMs({ ...silent, nowMs: 10_000, estimateBytesPerSec: 1e12 })).toBe(
      10_000 + PEER_REQUEST_LATENCY_MS + 8,
    );
  });

  it('once the first byte came, no request latency is added', () => {
    const early = { ...base, firstByteAtMs: 10_010, nowMs: 10_020, movedBytes: 1_000 };
    expect(projectedEndMs(early)).toBe(10_020 + 128);
  });

  it('a rate of zero counts as 1 B/s', () => {
    expect(
      projectedEndMs({ ...base, movedBytes: 0, estimateBytesPerSec: 0, remainingBytes: 2 }),
    ).toBe(13_000);
  });

  it('a prefetch nobody waits for is not cancelled for its deadline', () => {
    expect(transferFallsBehind({ ...base, deadlineMs: 0, urgent: false })).toBe(false);
  });
});
