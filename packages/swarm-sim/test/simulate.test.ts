import { describe, expect, it } from 'vitest';
import { LAB_NATS, scenarioSpec, simulate, type SimSpec } from '../src/index.js';

function labLive(viewers: number, overrides: Partial<SimSpec> = {}): SimSpec {
  return { ...scenarioSpec('lab-live', { viewers, windowSec: 20 }), ...overrides };
}

describe('simulate (the real engine on the simulated swarm)', () => {
  it('a live lab swarm reaches (N-1)/N offload over its window, every viewer plays, no stalls', async () => {
    const result = await simulate(labLive(5));
    expect(result.window).not.toBeNull();
    expect(result.window!.offload).toBeGreaterThan(0.8 - 0.03);
    expect(result.window!.offload).toBeLessThanOrEqual(0.8 + 1e-9);
    expect(result.startupMs.count).toBe(5);
    expect(result.window!.stalls).toBe(0);
    expect(result.totals.peerConnectionsOpened).toBeGreaterThan(0);
  });

  it('runs past the election recheck of young members (fractional times do not loop)', async () => {
    // Joins 500 ms apart make every member's maturity fall between whole milliseconds.
    const result = await simulate(labLive(6, { measureWindowSec: null, durationSec: 10 }));
    expect(result.samples.at(-1)!.tSec).toBe(10);
  });

  it('with P2P off every byte comes from the CDN', async () => {
    const result = await simulate(
      labLive(3, { p2p: false, measureWindowSec: null, durationSec: 12 }),
    );
    expect(result.totals.offload).toBe(0);
    expect(result.totals.p2pBytes).toBe(0);
    expect(result.totals.cdnEgressBytes).toBeGreaterThan(0);
  });

  it('viewers whose UDP is blocked never connect: everything from the CDN', async () => {
    const spec = labLive(4, { measureWindowSec: null, durationSec: 15 });
    const blocked: SimSpec = {
      ...spec,
      population: { ...spec.population, natShares: { ...LAB_NATS, open: 0, 'udp-blocked': 1 } },
    };
    const result = await simulate(blocked);
    expect(result.totals.peerConnectionsOpened).toBe(0);
    expect(result.totals.offload).toBe(0);
    expect(result.samples.at(-1)!.fluidBound).toBe(0);
  });
});
