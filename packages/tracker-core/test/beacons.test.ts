import type { BeaconStats } from '@coral-cdn/protocol';
import { describe, expect, it } from 'vitest';
import {
  beaconIncrements,
  UNREACHABLE_AFTER_FAILURES,
  unreachableByBeacon,
} from '../src/beacons.js';

const stats = (overrides: Partial<BeaconStats> = {}): BeaconStats => ({
  httpBytes: 0,
  p2pBytes: 0,
  uploadedBytes: 0,
  peers: 0,
  stalls: 0,
  stallMs: 0,
  startupMs: null,
  fallbacks: 0,
  integrityFailures: 0,
  prefetchWastedBytes: 0,
  bufferSec: null,
  ...overrides,
});
const caps = { bytesPerSec: 1000, eventsPerSec: 2 };

describe('beaconIncrements', () => {
  it('adds the rise of each counter since the previous beacon', () => {
    const { increments, clamped } = beaconIncrements(
      stats({ p2pBytes: 100, httpBytes: 50, stalls: 1, stallMs: 200 }),
      stats({ p2pBytes: 300, httpBytes: 60, stalls: 2, stallMs: 700 }),
      9000,
      caps,
    );
    expect(increments).toMatchObject({ p2pBytes: 200, httpBytes: 10, stalls: 1, stallMs: 500 });
    expect(clamped).toBe(false);
  });

  it('counts a counter that went down (a restarted session) from zero', () => {
    const { increments } = beaconIncrements(
      stats({ p2pBytes: 5000 }),
      stats({ p2pBytes: 70 }),
      9000,
      caps,
    );
    expect(increments.p2pBytes).toBe(70);
  });

  it('caps every increment by what the time since the previous beacon allows', () => {
    const forged = stats({
      p2pBytes: 1e18,
      httpBytes: 1e18,
      uploadedBytes: 1e18,
      prefetchWastedBytes: 1e18,
      stalls: 1e9,
      fallbacks: 1e9,
      integrityFailures: 1e9,
      stallMs: 1e12,
      peerAttempts: 1e9,
      peerFailures: 1e9,
      relayRefused: 1e9,
      pairsHost: 1e9,
      pairsSrflx: 1e9,
      pairsPrflx: 1e9,
      pairsRelay: 1e9,
      pairsUnknown: 1e9,
    });
    const { increments, clamped } = beaconIncrements(null, forged, 9000, caps);
    expect(clamped).toBe(true);
    expect(increments).toEqual({
      p2pBytes: 10_000,
      httpBytes: 10_000,
      uploadedBytes: 10_000,
      prefetchWastedBytes: 10_000,
      stalls: 20,
      fallbacks: 20,
      integrityFailures: 20,
      stallMs: 10_000,
      peerAttempts: 20,
      peerFailures: 20,
      relayRefused: 20,
      pairsHost: 20,
      pairsSrflx: 20,
      pairsPrflx: 20,
      pairsRelay: 20,
      pairsUnknown: 20,
    });
  });

  it('adds the connectivity counters, and counts them as zero from a player that sends none', () => {
    const { increments } = beaconIncrements(
      stats({ peerAttempts: 2, pairsSrflx: 1, peerFailures: 1 }),
      stats({ peerAttempts: 5, pairsSrflx: 2, pairsRelay: 1, peerFailures: 2 }),
      9000,
      caps,
    );
    expect(increments).toMatchObject({
      peerAttempts: 3,
      pairsSrflx: 1,
      pairsRelay: 1,
      peerFailures: 1,
      pairsHost: 0,
    });
    const old = beaconIncrements(stats(), stats({ p2pBytes: 10 }), 9000, caps).increments;
    expect(old.peerAttempts).toBe(0);
    expect(old.pairsUnknown).toBe(0);
  });

  it('does not let alternating beacons (down, up, down) add more than the time allows', () => {
    let previous: BeaconStats | null = null;
    let total = 0;
    for (const p2pBytes of [1e18, 0, 1e18, 0, 1e18]) {
      const next = stats({ p2pBytes });
      total += beaconIncrements(previous, next, 0, caps).increments.p2pBytes;
      previous = next;
    }
    expect(total).toBe(3000);
  });

  it('treats a negative elapsed time as none', () => {
    expect(beaconIncrements(null, stats({ stallMs: 5000 }), -50_000, caps).increments.stallMs).toBe(
      1000,
    );
  });
});

describe('unreachableByBeacon', () => {
  const at = (over: Partial<BeaconStats>) => unreachableByBeacon(stats(over));
  it.each([
    [
      'none opened after enough failures',
      { p2pEligible: false, peerFailures: UNREACHABLE_AFTER_FAILURES },
      true,
    ],
    [
      'one failure short',
      { p2pEligible: false, peerFailures: UNREACHABLE_AFTER_FAILURES - 1 },
      false,
    ],
    ['some connection opened', { p2pEligible: true, peerFailures: 9 }, false],
    ['an older player that says nothing', { peerFailures: 9 }, false],
    ['no failure count', { p2pEligible: false }, false],
  ] as const)('%s', (_name, over, expected) => {
    expect(at(over)).toBe(expected);
  });
});
