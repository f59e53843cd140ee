import { describe, expect, it } from 'vitest';
import { EventClock } from '../src/event-clock.js';
import { FlowNetwork, Link, maxMinRates } from '../src/flow-network.js';

describe('max-min fair sharing', () => {
  it('splits an uplink equally between two flows', () => {
    const up = new Link(1000);
    const network = new FlowNetwork(new EventClock());
    const a = network.openFlow(up, new Link(10_000));
    const b = network.openFlow(up, new Link(10_000));
    up.flows.add(a).add(b);
    const rates = maxMinRates([a, b]);
    expect(rates.get(a)).toBeCloseTo(500);
    expect(rates.get(b)).toBeCloseTo(500);
  });

  it('gives what a slow downlink cannot take to the other flow of the uplink', () => {
    const up = new Link(1000);
    const slowDown = new Link(200);
    const network = new FlowNetwork(new EventClock());
    const fast = network.openFlow(up, new Link(10_000));
    const slow = network.openFlow(up, slowDown);
    const rates = maxMinRates([fast, slow]);
    expect(rates.get(slow)).toBeCloseTo(200);
    expect(rates.get(fast)).toBeCloseTo(800);
  });

  it('holds a flow to its path cap (loss) and gives the rest away', () => {
    const up = new Link(1000);
    const network = new FlowNetwork(new EventClock());
    const lossy = network.openFlow(up, new Link(10_000), 100);
    const clean = network.openFlow(up, new Link(10_000));
    const rates = maxMinRates([lossy, clean]);
    expect(rates.get(lossy)).toBeCloseTo(100);
    expect(rates.get(clean)).toBeCloseTo(900);
  });
});

describe('flow network over time', () => {
  it('slows a running transfer when a second one starts on its uplink, and speeds it up after', async () => {
    const clock = new EventClock();
    const network = new FlowNetwork(clock);
    const up = new Link(1000);
    const first = network.openFlow(up, new Link(1e6));
    const second = network.openFlow(up, new Link(1e6));
    const doneAt: Record<string, number> = {};
    network.send(first, 1000, () => (doneAt.first = clock.now()));
    clock.setTimeout(() => network.send(second, 250, () => (doneAt.second = clock.now())), 500);
    await clock.runUntil(5_000);
    // 0-500 ms: 500 bytes alone; then 500 B/s each: the second's 250 bytes by 1000 ms;
    // the first has 250 left at 1000 ms, alone again at 1000 B/s: done at 1250 ms.
    expect(doneAt.second).toBe(1000);
    expect(doneAt.first).toBe(1250);
    expect(up.movedBytes).toBeCloseTo(1250);
  });

  it('drops what a closed flow had queued', async () => {
    const clock = new EventClock();
    const network = new FlowNetwork(clock);
    const flow = network.openFlow(new Link(1000), null);
    let done = false;
    network.send(flow, 1000, () => (done = true));
    clock.setTimeout(() => network.close(flow), 300);
    await clock.runUntil(5_000);
    expect(done).toBe(false);
    expect(flow.movedBytes).toBeCloseTo(300);
  });
});
