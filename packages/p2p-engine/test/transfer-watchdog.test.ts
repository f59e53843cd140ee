import { describe, expect, it } from 'vitest';
import {
  MIN_BYTES_FOR_RATE,
  projectedEndMs,
  runningMarginMs,
  splitOffsetBytes,
  transferFallsBehind,
  type SplitSnapshot,
  type WatchdogSnapshot,
} from '../src/peer-transfer.js';
import {
  HTTP_REQUEST_LATENCY_MS,
  MIN_SPLIT_BYTES,
  PEER_REQUEST_LATENCY_MS,
} from '../src/segment-decision.js';

/**
 * The running peer transfer's watchdog, rule by rule. Base: started at 10 s, looked at 1 s
 * later, 64 KB moved since the first byte at 10.5 s (128 KB/s), 128 KB to go, due at 14 s with
 * a 1 s margin; the CDN slow enough (100 KB/s) that the whole margin is kept.
 */
const base: WatchdogSnapshot = {
  nowMs: 11_000,
  startedAtMs: 10_000,
  firstByteAtMs: 10_500,
  movedBytes: 64_000,
  remainingBytes: 128_000,
  estimateBytesPerSec: 1_000_000,
  pathRttMs: null,
  maxMessageBytes: 16_000,
  deadlineMs: 14_000,
  safetyMarginMs: 1_000,
  httpBytesPerSec: 100_000,
  cdnFallbackGuardMs: 500,
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

  it('with no byte yet, below the silence bound: the estimate, plus what is left of the request latency', () => {
    const silent = { ...base, firstByteAtMs: null, movedBytes: 0, nowMs: 10_020 };
    // 20 ms elapsed: 16 KB / 20 ms = 800 KB/s; an estimate of 400 KB/s is below it, 40 ms of
    // latency left, 128 KB at 400 KB/s = 320 ms.
    expect(projectedEndMs({ ...silent, estimateBytesPerSec: 400_000 })).toBe(
      10_020 + (PEER_REQUEST_LATENCY_MS - 20) + 320,
    );
    // Equal to the bound: still the estimate (16 KB / 20 ms = 800 KB/s).
    expect(projectedEndMs({ ...silent, estimateBytesPerSec: 800_000 })).toBe(
      10_020 + (PEER_REQUEST_LATENCY_MS - 20) + 160,
    );
    // Latency spent: none added.
    expect(
      projectedEndMs({
        ...silent,
        nowMs: 10_200,
        estimateBytesPerSec: 50_000,
        remainingBytes: 5_000,
      }),
    ).toBe(10_200 + 100);
  });

  describe('with no byte yet on a measured path', () => {
    // 128 KB to go: five slow-start round trips (4380 × 31 B ≥ 128 KB).
    const silent = { ...base, firstByteAtMs: null, movedBytes: 0, nowMs: 10_020 };
    it("slow start's round trips are waited for: the end is no sooner than them", () => {
      expect(projectedEndMs({ ...silent, estimateBytesPerSec: 400_000, pathRttMs: 150 })).toBe(
        10_000 + PEER_REQUEST_LATENCY_MS + 5 * 150,
      );
    });
    it('within them the estimate counts when slower, the round trip not yet spent first', () => {
      expect(projectedEndMs({ ...silent, estimateBytesPerSec: 100_000, pathRttMs: 150 })).toBe(
        10_020 + (PEER_REQUEST_LATENCY_MS + 150 - 20) + 1_280,
      );
    });
    it('within them a long silence is no sign of a slow peer', () => {
      // 700 ms of silence: the 16 KB message bound (23 KB/s) would project 4.9 s more.
      const late = { ...silent, nowMs: 10_700, estimateBytesPerSec: 10_000_000, pathRttMs: 150 };
      expect(projectedEndMs(late)).toBe(10_000 + PEER_REQUEST_LATENCY_MS + 5 * 150);
      expect(transferFallsBehind({ ...late, deadlineMs: 11_810 + 1_000 })).toBe(false);
    });
    it('after them the silence bound applies again', () => {
      const after = { ...silent, nowMs: 10_810, estimateBytesPerSec: 1_000_000, pathRttMs: 150 };
      // 16 KB per 810 ms: the 112 KB after a message landing now take 5.67 s.
      expect(projectedEndMs(after)).toBeCloseTo(10_810 + (112_000 * 810) / 16_000, 6);
    });
  });

  it('with no byte yet, the silence bound below the estimate: a message may land now, the rest follows at the bound', () => {
    const silent = { ...base, firstByteAtMs: null, movedBytes: 0 };
    // 2 s silent: at most 16 KB / 2 s = 8 KB/s; after a message landing now, 112 KB at 8 KB/s.
    expect(projectedEndMs({ ...silent, nowMs: 12_000 })).toBe(12_000 + 14_000);
    // 500 ms silent, 64 KB messages, 100 KB to go: 36 KB after the first message at 128 KB/s.
    expect(
      projectedEndMs({
        ...silent,
        nowMs: 10_500,
        maxMessageBytes: 64_000,
        remainingBytes: 100_000,
      }),
    ).toBe(10_500 + 281.25);
    // A rest that fits in one message may land any moment: projected now.
    expect(projectedEndMs({ ...silent, nowMs: 12_000, remainingBytes: 16_000 })).toBe(12_000);
    // A fresh start (0 ms elapsed) counts as 1 ms.
    expect(projectedEndMs({ ...silent, nowMs: 10_000, estimateBytesPerSec: 1e12 })).toBe(
      10_000 + 7,
    );
  });

  it('a silent transfer that a message could still complete in time is kept', () => {
    // The lab's case: a 116 KB segment, 64 KiB messages, 1.2 s silent, due 2.4 s from now with
    // a 700 ms running margin. Counting the whole rest from now at the bound (the old rule)
    // projected 2.1 s and gave it up; a message landing now leaves 1.0 s.
    const s: WatchdogSnapshot = {
      ...base,
      firstByteAtMs: null,
      movedBytes: 0,
      startedAtMs: 10_000,
      nowMs: 11_200,
      remainingBytes: 116_000,
      maxMessageBytes: 65_536,
      deadlineMs: 13_600,
      safetyMarginMs: 700,
      httpBytesPerSec: 10_000,
    };
    expect(transferFallsBehind(s)).toBe(false);
    expect(transferFallsBehind({ ...s, nowMs: 12_500 })).toBe(true);
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

  type MarginRow = [rule: string, changes: Partial<WatchdogSnapshot>, marginMs: number];
  // The transfer projects to end at 12 s; it is kept up to a deadline of 12 s + the margin.
  it.each<MarginRow>([
    [
      'a running transfer is kept until the CDN could just still deliver the rest',
      { httpBytesPerSec: 1_000_000 },
      HTTP_REQUEST_LATENCY_MS + 128 + 500,
    ],
    [
      'a smaller rest needs less of the CDN: the transfer is kept longer',
      { httpBytesPerSec: 1_000_000, remainingBytes: 64_000, movedBytes: 32_000 },
      HTTP_REQUEST_LATENCY_MS + 64 + 500,
    ],
    [
      'the guard is added to the projected CDN fetch',
      { httpBytesPerSec: 1_000_000, cdnFallbackGuardMs: 200 },
      HTTP_REQUEST_LATENCY_MS + 128 + 200,
    ],
    [
      'the margin is never more than the safety margin the transfer started with',
      { httpBytesPerSec: 10_000 },
      1_000,
    ],
  ])('%s', (_rule, changes, marginMs) => {
    const s = { ...base, ...changes };
    expect(runningMarginMs(s)).toBe(marginMs);
    const endMs = projectedEndMs(s);
    expect(transferFallsBehind({ ...s, deadlineMs: endMs + marginMs })).toBe(false);
    expect(transferFallsBehind({ ...s, deadlineMs: endMs + marginMs - 1 })).toBe(true);
  });
});

/**
 * Where the CDN takes over a transfer that falls behind. Base: the watchdog's, with 64 KB of a
 * 400 KB segment in the sink; the whole 1 s margin kept, 2 s left before it; the transfer's own
 * 128 KB/s, half of it counted: the peer keeps 128 KB more.
 */
const split: SplitSnapshot = {
  ...base,
  filledBytes: 64_000,
  sizeBytes: 400_000,
  remainingBytes: 336_000,
};

describe('splitting a slow transfer with the CDN', () => {
  it.each([
    ['half the measured rate until the fallback margin', {}, 192_000],
    [
      "exactly the bytes to measure a rate: the transfer's own (32 KiB in 500 ms)",
      { movedBytes: MIN_BYTES_FOR_RATE },
      64_000 + MIN_BYTES_FOR_RATE * 2,
    ],
    [
      'a transfer not measured yet: the estimate, when below the silence bound',
      { movedBytes: MIN_BYTES_FOR_RATE - 1, estimateBytesPerSec: 40_000, maxMessageBytes: 64_000 },
      64_000 + 40_000,
    ],
    [
      'a transfer not measured yet: the silence bound, when below the estimate',
      { movedBytes: MIN_BYTES_FOR_RATE - 1, estimateBytesPerSec: 100_000, maxMessageBytes: 64_000 },
      64_000 + 64_000,
    ],
    [
      'no byte yet: the same bounds, over the time since the request',
      { firstByteAtMs: null, movedBytes: 0, estimateBytesPerSec: 100_000, maxMessageBytes: 64_000 },
      64_000 + 64_000,
    ],
    [
      'the margin is the CDN fetch of the rest when that is shorter',
      { httpBytesPerSec: 336_000_000 },
      // 14 s − (latency + 1 ms + 500 ms guard) − 11 s, at 64 KB/s.
      64_000 + Math.floor((128_000 * 0.5 * (3_000 - HTTP_REQUEST_LATENCY_MS - 501)) / 1000),
    ],
    ['exactly the least worth a split', { deadlineMs: 12_256 }, 64_000 + MIN_SPLIT_BYTES],
    ['less than that: no split', { deadlineMs: 12_255 }, null],
    ['past the deadline: no split', { deadlineMs: 11_500 }, null],
    [
      'the peer would deliver the rest: no split',
      { sizeBytes: 192_000, remainingBytes: 128_000 },
      null,
    ],
    ['one byte short of the rest', { sizeBytes: 192_001, remainingBytes: 128_001 }, 192_000],
  ] as const)('%s', (_name, over, expected) => {
    expect(splitOffsetBytes({ ...split, ...over })).toBe(expected);
  });
});
