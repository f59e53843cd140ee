import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { waitFor } from '@coral-cdn/test-support';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { heapUsedBytes } from '../src/limits/memory-guard.js';
import {
  getJson,
  joinedClient,
  joinMessage,
  signToken,
  TestClient,
  trackerFixture,
} from './support.js';

/**
 * The global memory guard with real memory: the tracker runs in this process, so live
 * objects allocated here fill its heap past the configured limit.
 */

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const fx = trackerFixture();

function upgradeStatus(url: string): Promise<{ status: number; message: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on('unexpected-response', (_request, response) =>
      resolve({ status: response.statusCode ?? 0, message: response.statusMessage ?? '' }),
    );
    socket.on('open', () => {
      socket.close();
      reject(new Error('connection accepted'));
    });
    socket.on('error', () => undefined);
  });
}

/** Live arrays of numbers, about `mb` MiB of heap (8 bytes a slot). */
function ballast(mb: number): number[][] {
  return Array.from({ length: mb }, () => new Array<number>(131_072).fill(1.5));
}

describe('memory guard', () => {
  it('refuses joins and connections while the heap is over the limit, and recovers', async () => {
    gc();
    const limitMb = Math.ceil(heapUsedBytes() / 2 ** 20) + 64;
    const tracker = await fx.start({ MEMORY_GUARD_HEAP_MB: String(limitMb) });
    const token = await signToken(fx.keys(), { stream: 'guard' });
    const early = await TestClient.connect(tracker.wsUrl);
    fx.clients.push(early);
    const member = await joinedClient(tracker.wsUrl, { swarmId: 'guard/a', token });
    fx.clients.push(member);

    let weight: number[][] | null = ballast(128);
    expect(heapUsedBytes()).toBeGreaterThan(limitMb * 2 ** 20);
    // A join on an open connection: a clear error, then close 1013 (try again later).
    early.send(joinMessage({ swarmId: 'guard/a', token }));
    expect(await early.next('error')).toMatchObject({ code: 'internal', ref: 'join' });
    expect((await early.next('error')).message).toContain('memory capacity');
    expect((await early.closed).code).toBe(1013);
    // A new connection: 503 before the WebSocket opens.
    expect(await upgradeStatus(tracker.wsUrl)).toEqual({
      status: 503,
      message: 'tracker at memory capacity',
    });
    const stats = await getJson<{ memory: { refusing: boolean; guardLimitBytes: number } }>(
      `${tracker.httpUrl}/stats`,
    );
    expect(stats.memory).toMatchObject({ refusing: true, guardLimitBytes: limitMb * 2 ** 20 });
    // Members already in keep being served.
    member.send({ type: 'get-peers', swarmId: 'guard/a', need: [], max: 5 });
    expect(await member.upcoming('peers')).toMatchObject({ swarmId: 'guard/a' });
    expect(tracker.logs.some((l) => l.msg === 'memory guard: refusing new members')).toBe(true);

    expect(weight.length).toBe(128);
    weight = null;
    gc();
    await waitFor('heap below the limit', () => heapUsedBytes() < limitMb * 2 ** 20);
    const after = await joinedClient(tracker.wsUrl, { swarmId: 'guard/a', token });
    fx.clients.push(after);
    expect(after.peerId).not.toBe('');
  });

  it('is off with MEMORY_GUARD_HEAP_MB=0, and refuses everything below the heap in use', async () => {
    const unguarded = await fx.start({ MEMORY_GUARD_HEAP_MB: '0' });
    const token = await signToken(fx.keys(), { stream: 'guard' });
    fx.clients.push(await joinedClient(unguarded.wsUrl, { swarmId: 'guard/a', token }));
    const tracker = await fx.start({ MEMORY_GUARD_HEAP_MB: '1' });
    expect((await upgradeStatus(tracker.wsUrl)).status).toBe(503);
  });
});
