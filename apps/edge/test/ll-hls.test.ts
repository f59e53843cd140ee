import { waitFor } from '@coral-cdn/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchRaw, startEdge, type RunningEdge } from './support/harness.js';
import { LlOrigin, partPath, PLAYLIST } from './support/ll-origin.js';

const poll = { timeoutMs: 10_000, intervalMs: 5 };

describe('LL-HLS at the edge', () => {
  let origin: LlOrigin;
  let edge: RunningEdge;

  beforeEach(async () => {
    origin = await LlOrigin.start();
    // A short ordinary timeout: blocking requests must get BLOCKING_TIMEOUT_MS instead.
    edge = await startEdge(origin.url, {
      ORIGIN_TIMEOUT_MS: '300',
      ORIGIN_RETRIES: '0',
      PREFETCH_SEGMENTS: '0',
    });
    for (let i = 0; i < 4; i++) origin.publish(); // parts 0.0-0.2 and 1.0
  });
  afterEach(async () => {
    await edge.close();
    await origin.close();
  });

  it('20 viewers blocking on the same part make one origin request, answered when it exists', async () => {
    const blocking = `${PLAYLIST}?_HLS_msn=1&_HLS_part=2`;
    const viewers = Array.from({ length: 20 }, () => fetchRaw(`${edge.url}${blocking}`));
    await waitFor(
      'every viewer to join the one held request',
      () => {
        return edge.edge.stats().requests.coalescedWaits === 19 && origin.count(blocking) === 1;
      },
      poll,
    );
    // Held longer than ORIGIN_TIMEOUT_MS: observable as the ordinary timeout having passed.
    const heldSinceMs = Date.now();
    await waitFor(
      'the ordinary origin timeout to pass',
      () => Date.now() - heldSinceMs > 400,
      poll,
    );
    origin.publish(); // 1.1: not yet
    origin.publish(); // 1.2: the part they wait for
    const answers = await Promise.all(viewers);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body.toString()).toContain('part_1_2.m4s');
    }
    expect(origin.count(blocking)).toBe(1);
  });

  it('asks for the hinted part at once; viewers join it and it is cached as immutable', async () => {
    const first = await fetchRaw(`${edge.url}${PLAYLIST}`);
    expect(first.body.toString()).toContain('URI="part_1_1.m4s"');
    const hint = partPath(1, 1);
    await waitFor('the edge to ask for the hinted part', () => origin.count(hint) === 1, poll);
    const viewers = Array.from({ length: 10 }, () => fetchRaw(`${edge.url}${hint}`));
    await waitFor(
      'the viewers to join',
      () => edge.edge.stats().requests.coalescedWaits >= 10,
      poll,
    );
    origin.publish(); // 1.1 exists now
    for (const answer of await Promise.all(viewers)) {
      expect(answer.status).toBe(200);
      expect(answer.body.toString()).toBe('part 1.1');
    }
    const again = await fetchRaw(`${edge.url}${hint}`);
    expect(again.headers['x-cache']).toBe('HIT');
    expect(again.headers['cache-control']).toContain('immutable');
    expect(origin.count(hint)).toBe(1);
  });

  it('never answers a blocking request with a stale playlist', async () => {
    const blocking = `${PLAYLIST}?_HLS_msn=1&_HLS_part=0`;
    expect((await fetchRaw(`${edge.url}${blocking}`)).status).toBe(200);
    edge.advance(1500); // expired, inside the stale-while-revalidate window
    const again = await fetchRaw(`${edge.url}${blocking}`);
    expect(again.headers['x-cache']).not.toBe('STALE');
    expect(origin.count(blocking)).toBe(2);
  });
});
