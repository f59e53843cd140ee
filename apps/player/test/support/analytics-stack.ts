import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { TRACKER_PROTOCOL_VERSION, type ClientMessage } from '@coral-cdn/protocol';
import {
  spawnService,
  startRedis,
  waitFor,
  type RedisServer,
  type RunningService,
} from '@coral-cdn/test-support';
import WebSocket from 'ws';
import type { DashboardSnapshot } from '../../src/swarm-stats.js';

/**
 * What the analytics tests run against: two real tracker nodes sharing a real Redis, viewers
 * that join over WebSocket with tokens signed like the origin's and send beacons as the engine
 * does, and the built player server adding it all up.
 */

export interface Beacon {
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

export interface Viewer {
  beacon(stats: Beacon): void;
}

export interface AnalyticsStack {
  redis: RedisServer;
  trackers: [RunningService, RunningService];
  player: RunningService;
  joinViewer(tracker: RunningService, viewerId: string, swarmId: string): Promise<Viewer>;
  dashboard(): Promise<DashboardSnapshot>;
  stop(): Promise<void>;
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

function viewerToken(privateKey: KeyObject, viewerId: string, stream: string): string {
  const nowSec = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' }));
  const claims = b64url(
    JSON.stringify({
      sub: viewerId,
      stream,
      iss: 'coral-origin',
      aud: 'coral-tracker',
      iat: nowSec - 5,
      exp: nowSec + 600,
    }),
  );
  const signature = sign(null, Buffer.from(`${header}.${claims}`), privateKey);
  return `${header}.${claims}.${b64url(signature)}`;
}

/** `extraTrackerUrls`: more TRACKER_STATS_URLS entries (e.g. one that is down). */
export async function startAnalyticsStack(
  extraTrackerUrls: string[] = [],
): Promise<AnalyticsStack> {
  const keys = generateKeyPairSync('ed25519');
  const publicKey = keys.publicKey.export({ format: 'jwk' }).x!;
  const redis = await startRedis();
  const trackers = (await Promise.all(
    ['a', 'b'].map((node) =>
      spawnService({
        app: 'tracker',
        name: `tracker-${node}`,
        env: { REDIS_URL: redis.url, NODE_ID: `tracker-${node}`, TOKEN_PUBLIC_KEY: publicKey },
      }),
    ),
  )) as [RunningService, RunningService];
  const player = await spawnService({
    app: 'player',
    env: {
      ORIGIN_URL: 'http://127.0.0.1:9',
      TRACKER_STATS_URLS: [...trackers.map((t) => t.url), ...extraTrackerUrls].join(','),
    },
  });
  const sockets: WebSocket[] = [];

  async function joinViewer(
    tracker: RunningService,
    viewerId: string,
    swarmId: string,
  ): Promise<Viewer> {
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
      token: viewerToken(keys.privateKey, viewerId, swarmId.split('/')[0]!),
      swarmId,
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
          swarmId,
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
    if (response.status !== 200) throw new Error(`/api/dashboard answered ${response.status}`);
    if (response.headers.get('cache-control') !== 'no-store')
      throw new Error('/api/dashboard is not no-store');
    return (await response.json()) as DashboardSnapshot;
  }

  let stopped = false;
  return {
    redis,
    trackers,
    player,
    joinViewer,
    dashboard,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const socket of sockets) socket.close();
      await player.stop();
      await Promise.all(trackers.map((tracker) => tracker.stop()));
      await redis.stop();
    },
  };
}
