import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { TRACKER_PROTOCOL_VERSION, type ClientMessage } from '@coral-cdn/protocol';
import {
  repoRoot,
  spawnService,
  startRedis,
  waitFor,
  type RedisServer,
  type RunningService,
} from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { DashboardSnapshot } from '../src/swarm-stats.js';

/**
 * The analytics page's data, end to end: two real tracker nodes sharing a real Redis, viewers
 * that join over WebSocket with tokens signed like the origin's and send beacons as the engine
 * does, and the built player server adding it all up at /api/dashboard.
 */

const SWARM = 'demo/240p';
let redis: RedisServer;
let trackers: RunningService[] = [];
let player: RunningService;
let privateKey: KeyObject;
const sockets: WebSocket[] = [];

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

function viewerToken(viewerId: string): string {
  const nowSec = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' }));
  const claims = b64url(
    JSON.stringify({
      sub: viewerId,
      stream: 'demo',
      iss: 'coral-origin',
      aud: 'coral-tracker',
      iat: nowSec - 5,
      exp: nowSec + 600,
    }),
  );
  const signature = sign(null, Buffer.from(`${header}.${claims}`), privateKey);
  return `${header}.${claims}.${b64url(signature)}`;
}

interface Beacon {
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes?: number;
  stalls?: number;
  stallMs?: number;
  startupMs?: number | null;
  peerAttempts?: number;
  peerFailures?: number;
  pairsSrflx?: number;
  pairsRelay?: number;
  p2pEligible?: boolean;
}

/** A viewer as the engine is on the wire: join, then cumulative beacons. */
async function joinViewer(tracker: RunningService, viewerId: string) {
  const socket = new WebSocket(`ws://127.0.0.1:${tracker.port}/ws`);
  sockets.push(socket);
  const messages: Array<{ type: string }> = [];
  socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as never));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const send = (message: ClientMessage) => socket.send(JSON.stringify(message));
  send({
    type: 'join',
    v: TRACKER_PROTOCOL_VERSION,
    token: viewerToken(viewerId),
    swarmId: SWARM,
    region: 'eu-west',
    uploadKbps: 5000,
    connectionType: 'ethernet',
    live: false,
    have: [],
  });
  await waitFor(
    `${viewerId} joined`,
    () => {
      if (messages.some((m) => m.type === 'error')) {
        throw new Error(`join refused: ${JSON.stringify(messages)}`);
      }
      return messages.some((m) => m.type === 'joined');
    },
    { timeoutMs: 5000 },
  );
  return {
    beacon(stats: Beacon) {
      send({
        type: 'beacon',
        swarmId: SWARM,
        stats: {
          uploadedBytes: 0,
          peers: 1,
          stalls: 0,
          stallMs: 0,
          startupMs: null,
          fallbacks: 0,
          integrityFailures: 0,
          prefetchWastedBytes: 0,
          bufferSec: null,
          ...stats,
        },
      });
    },
  };
}

async function dashboard(): Promise<DashboardSnapshot> {
  const response = await fetch(`${player.url}/api/dashboard`);
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return (await response.json()) as DashboardSnapshot;
}

beforeAll(async () => {
  const keys = generateKeyPairSync('ed25519');
  privateKey = keys.privateKey;
  const publicKey = keys.publicKey.export({ format: 'jwk' }).x!;
  redis = await startRedis();
  trackers = await Promise.all(
    ['a', 'b'].map((node) =>
      spawnService({
        app: 'tracker',
        name: `tracker-${node}`,
        env: { REDIS_URL: redis.url, NODE_ID: `tracker-${node}`, TOKEN_PUBLIC_KEY: publicKey },
      }),
    ),
  );
  player = await spawnService({
    app: 'player',
    env: {
      ORIGIN_URL: 'http://127.0.0.1:9',
      // Both nodes, and one that is down: its row says so, the others still count.
      TRACKER_STATS_URLS: `${trackers.map((t) => t.url).join(',')},http://127.0.0.1:9/`,
    },
  });
});

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await player?.stop();
  await Promise.all(trackers.map((tracker) => tracker.stop()));
  await redis?.stop();
});

describe('analytics across trackers', () => {
  it('adds up viewers, swarms and beacons from every tracker node', async () => {
    const [a, b] = trackers as [RunningService, RunningService];
    const v1 = await joinViewer(a, 'viewer-1');
    const v2 = await joinViewer(a, 'viewer-2');
    const v3 = await joinViewer(b, 'viewer-3');
    // viewer-1 tried and never connected (CDN-only); the other two connected directly.
    v1.beacon({
      httpBytes: 3_000_000,
      p2pBytes: 0,
      startupMs: 800,
      peerAttempts: 2,
      peerFailures: 2,
      p2pEligible: false,
    });
    v2.beacon({
      httpBytes: 1_000_000,
      p2pBytes: 2_000_000,
      uploadedBytes: 500_000,
      peerAttempts: 1,
      pairsSrflx: 1,
      p2pEligible: true,
    });
    // Stall time under the tracker's cap (time since joining plus 1 s), so all of it counts.
    v3.beacon({
      httpBytes: 0,
      p2pBytes: 2_000_000,
      stalls: 1,
      stallMs: 900,
      startupMs: 1200,
      peerAttempts: 1,
      pairsSrflx: 1,
      p2pEligible: true,
    });

    const first = await waitFor(
      'the beacons in the totals',
      async () => {
        const snapshot = await dashboard();
        return snapshot.totals.beacons === 3 ? snapshot : null;
      },
      { timeoutMs: 10_000, intervalMs: 300 },
    );
    expect(first.viewers).toBe(3);
    expect(first.peers).toBe(3);
    // Per swarm, summed over both nodes: 2 of the 3 viewers that tried are eligible.
    expect(first.swarms).toEqual([
      {
        swarmId: SWARM,
        peers: 3,
        connectivity: {
          tried: 3,
          eligible: 2,
          eligibleShare: 2 / 3,
          opened: { host: 0, srflx: 2, prflx: 0, relay: 0, unknown: 0 },
        },
      },
    ]);
    expect(first.connectivity).toEqual({
      tried: 3,
      eligible: 2,
      eligibleShare: 2 / 3,
      attempts: 4,
      failures: 2,
      relayRefused: 0,
    });
    expect(first.swarmCount).toBe(1);
    expect(first.totals).toMatchObject({
      httpBytes: 4_000_000,
      p2pBytes: 4_000_000,
      uploadedBytes: 500_000,
      offloadRatio: 0.5,
      stalls: 1,
      stallSec: 0.9,
      startups: 2,
      startupMeanMs: 1000,
    });
    const byNode = new Map(first.trackers.map((node) => [node.nodeId ?? node.url, node]));
    expect(byNode.get('tracker-a')).toMatchObject({ ok: true, connections: 2, store: 'redis' });
    expect(byNode.get('tracker-b')).toMatchObject({ ok: true, connections: 1, store: 'redis' });
    const down = first.trackers.find((node) => !node.ok)!;
    expect(down.url).toBe('http://127.0.0.1:9');
    expect(down.error).toBeTruthy();

    // Cumulative beacons: only the increase counts. A counter that went down (a new player
    // session on that membership) counts in full.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    v1.beacon({ httpBytes: 3_000_000, p2pBytes: 6_000_000, startupMs: 800 });
    v3.beacon({ httpBytes: 1_000_000, p2pBytes: 0, stalls: 0, startupMs: 900 });
    const second = await waitFor(
      'the second beacons',
      async () => {
        const snapshot = await dashboard();
        return snapshot.totals.beacons === 5 ? snapshot : null;
      },
      { timeoutMs: 10_000, intervalMs: 300 },
    );
    expect(second.totals.p2pBytes).toBe(10_000_000);
    expect(second.totals.httpBytes).toBe(5_000_000);
    expect(second.totals.offloadRatio).toBeCloseTo(10 / 15, 6);
    expect(second.recent).not.toBeNull();
    // Over the window: 6 MB from peers, 1 MB from the CDN.
    expect(second.recent!.offloadRatio).toBeCloseTo(6 / 7, 6);
    expect(second.recent!.p2pBitsPerSec).toBeGreaterThan(0);
    expect(second.history.length).toBeGreaterThanOrEqual(1);
  });

  it('serves the analytics page at /dashboard and the player everywhere else', async () => {
    const page = await fetch(`${player.url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('id="offload-recent"');
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/dashboard-[\w-]+\.js">/);
    const watch = await (await fetch(`${player.url}/watch`)).text();
    expect(watch).toContain('id="video"');
  });

  it('refuses a TRACKER_STATS_URLS entry that is not an http URL (exit 2, names it)', () => {
    const run = spawnSync(process.execPath, [join(repoRoot, 'apps/player/dist/main.js')], {
      env: { ...process.env, PORT: '0', TRACKER_STATS_URLS: 'ws://127.0.0.1:8090/ws' },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('TRACKER_STATS_URLS');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
