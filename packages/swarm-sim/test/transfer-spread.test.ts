import { describe, expect, it } from 'vitest';
import { EventClock } from '../src/event-clock.js';
import { FlowNetwork, Link } from '../src/flow-network.js';
import { seededRandom } from '../src/random.js';
import { drawTimeFactor, WERIFT_TRANSFER_SPREAD } from '../src/transfer-spread.js';

/** Time for `bytes` on one flow with a 1000 B/s path cap, each burst's factor given. */
async function burstTimes(factors: number[], spread: boolean): Promise<number[]> {
  const clock = new EventClock();
  const network = new FlowNetwork(clock, () => factors.shift()!);
  const flow = network.openFlow(new Link(1e9), new Link(1e9), 1000, spread);
  const times: number[] = [];
  for (let i = 0; i < 2; i++) {
    const start = clock.now();
    let doneAt = -1;
    network.send(flow, 1000, () => (doneAt = clock.now()));
    await clock.runUntil(start + 10_000);
    times.push(doneAt - start);
  }
  return times;
}

describe('transfer spread on lossy paths', () => {
  it('draws a time factor per burst from idle on a spread flow', async () => {
    expect(await burstTimes([2, 0.5], true)).toEqual([2000, 500]);
  });

  it('leaves flows without spread (HTTP) at their cap', async () => {
    expect(await burstTimes([2, 0.5], false)).toEqual([1000, 1000]);
  });

  it('werift fit: median factor 1.00, ln-spread 0.34', () => {
    const random = seededRandom(3);
    const logs = Array.from({ length: 20_000 }, () =>
      Math.log(drawTimeFactor(WERIFT_TRANSFER_SPREAD, random)),
    );
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / logs.length);
    expect(Math.exp(mean)).toBeCloseTo(1, 1);
    expect(sd).toBeCloseTo(0.34, 2);
  });
});
