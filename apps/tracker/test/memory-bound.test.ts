import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { TRACKER_PROTOCOL_VERSION } from '@coral-cdn/protocol';
import { waitFor } from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  makeKeys,
  signToken,
  startTracker,
  type RunningTracker,
  type TokenKeys,
} from './support.js';

/**
 * Memory per connection at the limits: the most connections one address may open, each in
 * the most swarms a connection may join, each announcing the most sequences a peer is kept
 * with, in the costliest shape (every other sequence: no two adjacent, so no range merges,
 * and no sequence shared with another peer). Heap is measured after full collections.
 */

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const CONNECTIONS = 256; // MAX_CONNECTIONS_PER_IP default
const SWARMS = 4; // MAX_SWARMS_PER_CONNECTION default
const SEQUENCES = 1024; // MAX_HAVE_PER_PEER default (and the most one message carries)
/** Bound asserted per connection: memberships and both ends of the socket together. */
const MAX_BYTES_PER_CONNECTION = 256 * 1024;

function heapUsedBytes(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

let keys: TokenKeys;
let tracker: RunningTracker;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  keys = await makeKeys();
  tracker = await startTracker(keys, { HEARTBEAT_MS: '600000' });
});

afterAll(async () => {
  for (const socket of sockets) socket.terminate();
  await tracker.close();
});

describe('memory per connection', () => {
  it('stays far below the 2 MB the per-sequence store cost, at every limit at once', async () => {
    const token = await signToken(keys, { stream: 'mem' });
    const baseline = heapUsedBytes();
    let joined = 0;
    for (let c = 0; c < CONNECTIONS; c++) {
      const socket = new WebSocket(tracker.wsUrl);
      socket.on('message', (data) => {
        if ((data as Buffer).toString('utf8').includes('"type":"joined"')) joined++;
      });
      sockets.push(socket);
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
    }
    const connected = heapUsedBytes();
    sockets.forEach((socket, c) => {
      for (let s = 0; s < SWARMS; s++) {
        // Distinct, never adjacent sequences per connection and swarm.
        const first = (c * SWARMS + s) * SEQUENCES * 2;
        const have = Array.from({ length: SEQUENCES }, (_, i) => first + i * 2);
        socket.send(
          JSON.stringify({
            type: 'join',
            v: TRACKER_PROTOCOL_VERSION,
            token,
            swarmId: `mem/r${s}`,
            region: 'eu-west',
            uploadKbps: 5000,
            connectionType: 'wifi',
            live: false,
            have,
          }),
        );
      }
    });
    await waitFor('every join answered', () => joined === CONNECTIONS * SWARMS, {
      timeoutMs: 60_000,
    });
    const stats = (await (await fetch(`${tracker.httpUrl}/stats`)).json()) as { peers: number };
    expect(stats.peers).toBe(CONNECTIONS * SWARMS);
    const full = heapUsedBytes();
    const perConnection = (full - baseline) / CONNECTIONS;
    const perMemberships = (full - connected) / CONNECTIONS;
    console.log(
      `heap per connection at the limits (${CONNECTIONS} connections × ${SWARMS} swarms × ` +
        `${SEQUENCES} sequences): ${(perConnection / 1024).toFixed(1)} KiB in all, ` +
        `${(perMemberships / 1024).toFixed(1)} KiB of it memberships; ` +
        `${((full - baseline) / 2 ** 20).toFixed(1)} MiB for the address`,
    );
    expect(perConnection).toBeLessThan(MAX_BYTES_PER_CONNECTION);
  });
});
