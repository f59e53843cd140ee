import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { closeGracefully, listen, type Logger } from '@coral-cdn/server-kit';
import { WebSocketServer } from 'ws';
import { summarizeConnectivity, summarizeDelivery } from './beacons.js';
import { createTokenVerifier, type TokenVerifier } from './auth/token-verifier.js';
import { redisTargetOf, type TrackerConfig } from './config.js';
import { ConnectionsPerIp } from './limits/ip-limiter.js';
import { heapLimitBytes, heapUsedBytes, MemoryGuard } from './limits/memory-guard.js';
import { TrackerMetrics } from './metrics.js';
import { roomPeerProtocol, roomSwarmId } from '@coral-cdn/tracker-core';
import { MemoryStore } from './store/memory-store.js';
import { RedisStore } from './store/redis-store.js';
import type { SwarmStore } from './store/types.js';
import { Tracker } from './tracker.js';

export interface TrackerAppOptions {
  logger: Logger;
  /** Override the token check (defaults to TOKEN_PUBLIC_KEY or TOKEN_JWKS_URL). */
  verifier?: TokenVerifier;
}

export interface TrackerApp {
  readonly nodeId: string;
  readonly server: Server;
  readonly tracker: Tracker;
  readonly store: SwarmStore;
  readonly metrics: TrackerMetrics;
  listen(): Promise<AddressInfo>;
  /** Graceful stop: sockets closed with 1001, memberships deregistered. Idempotent. */
  close(): Promise<void>;
}

/** Build the tracker service: HTTP endpoints, the WebSocket at /ws, store and timers. */
export async function createTrackerApp(
  config: TrackerConfig,
  options: TrackerAppOptions,
): Promise<TrackerApp> {
  const nodeId = config.NODE_ID ?? `node-${randomBytes(4).toString('hex')}`;
  const logger = options.logger.child({ nodeId });
  const metrics = new TrackerMetrics(nodeId);
  const startedAtMs = Date.now();
  let store: SwarmStore;
  const redisTarget = redisTargetOf(config);
  if (redisTarget) {
    const redisStore = new RedisStore({
      target: redisTarget,
      nodeId,
      keyPrefix: config.REDIS_KEY_PREFIX,
      maxHavePerPeer: config.MAX_HAVE_PER_PEER,
      keepMs: config.HEARTBEAT_MS * 10,
      logger,
      onHealthChange: (healthy) => {
        metrics.storeHealthy.set(healthy ? 1 : 0);
        if (!healthy) metrics.storeOutages.inc();
      },
      onCommandError: () => metrics.storeErrors.inc(),
    });
    metrics.storeHealthy.set(0);
    await redisStore.start();
    store = redisStore;
  } else {
    store = new MemoryStore({ maxHavePerPeer: config.MAX_HAVE_PER_PEER });
  }
  const verifier =
    options.verifier ??
    createTokenVerifier(
      config.TOKEN_PUBLIC_KEY
        ? { kind: 'key', key: config.TOKEN_PUBLIC_KEY }
        : { kind: 'jwks', url: config.TOKEN_JWKS_URL },
    );
  const memoryGuard = new MemoryGuard(
    heapLimitBytes(config.MEMORY_GUARD_HEAP_MB),
    (refusing, used) => {
      const fields = { heapUsedBytes: used, limitBytes: memoryGuard.limitBytes };
      if (refusing) logger.warn('memory guard: refusing new members', fields);
      else logger.info('memory guard: accepting new members again', fields);
    },
  );
  const tracker = new Tracker({ config, nodeId, store, verifier, logger, metrics, memoryGuard });
  const perIp = new ConnectionsPerIp(config.MAX_CONNECTIONS_PER_IP);
  const wss = new WebSocketServer({
    noServer: true,
    // Frames up to 4x the limit are read and answered with a too_large error; beyond that ws
    // closes the connection (1009) without buffering them.
    maxPayload: config.MAX_MESSAGE_BYTES * 4,
    perMessageDeflate: false,
    clientTracking: false,
  });
  let stopping = false;

  const refreshGauges = () => {
    metrics.connections.set(tracker.sessions.size);
    metrics.peers.set(tracker.localPeerCount());
    metrics.swarms.set(tracker.localSwarms.size);
    metrics.storeHealthy.set(store.status().healthy ? 1 : 0);
    const connectivity = summarizeConnectivity(tracker.beaconsOf());
    metrics.p2pTriedViewers.set(connectivity.tried);
    metrics.p2pEligibleViewers.set(connectivity.eligible);
  };

  const stats = async () => {
    const sizes = await store.swarmSizes(100);
    const storeStatus = store.status();
    return {
      nodeId,
      uptimeSec: Math.round((Date.now() - startedAtMs) / 1000),
      store: storeStatus,
      degraded: !storeStatus.healthy,
      swarms: sizes.swarms,
      peers: sizes.peers,
      connections: tracker.sessions.size,
      localPeers: tracker.localPeerCount(),
      localSwarms: tracker.localSwarms.size,
      messagesPerSec: tracker.messagesPerSec(),
      memory: {
        heapUsedBytes: heapUsedBytes(),
        guardLimitBytes: memoryGuard.limitBytes,
        refusing: memoryGuard.full(),
      },
      pendingSignals: tracker.relay.size,
      // One entry per room: a swarm in a rolling upgrade has one per peer protocol version.
      perSwarm: sizes.top.map(({ swarmId: room, peers }) => {
        const election = tracker.electionOf(room);
        return {
          swarmId: roomSwarmId(room),
          peerProtocol: roomPeerProtocol(room),
          peers,
          localPeers: tracker.localSwarms.get(room)?.size ?? 0,
          // This node's members of the swarm: eligible share and connections by pair type.
          connectivity: summarizeConnectivity(tracker.beaconsOf(room)),
          // Bytes of this node's current members (capped beacon increments).
          delivery: summarizeDelivery(tracker.beaconsOf(room)),
          ...(election
            ? {
                election: {
                  epoch: election.epoch,
                  fetchers: election.fetchers.length,
                  perSegment: election.perSegment,
                  pending: tracker.elections.pending(room),
                },
              }
            : {}),
        };
      }),
    };
  };

  const handleRequest = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return send(response, 405, { error: 'method not allowed' });
    }
    switch (path) {
      case '/healthz':
        return stopping
          ? send(response, 503, { status: 'stopping' })
          : send(response, 200, { status: 'ok', nodeId, store: store.status() });
      case '/stats':
        return send(response, 200, await stats());
      case '/metrics': {
        refreshGauges();
        const text = await metrics.registry.metrics();
        response.writeHead(200, { 'content-type': metrics.registry.contentType });
        response.end(text);
        return;
      }
      case '/ws':
        return send(response, 426, { error: 'WebSocket upgrade required' });
      default:
        return send(response, 404, { error: 'not found' });
    }
  };

  const server = createServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      logger.error('request failed', { url: request.url, err: error });
      if (!response.headersSent) send(response, 500, { error: 'internal error' });
      else response.destroy();
    });
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/ws') return rejectUpgrade(socket, 404, 'not found');
    if (stopping) return rejectUpgrade(socket, 503, 'tracker shutting down');
    if (tracker.sessions.size >= config.MAX_CONNECTIONS) {
      return rejectUpgrade(socket, 503, 'tracker at connection capacity');
    }
    if (memoryGuard.full()) {
      metrics.errors.inc({ code: 'memory_guard' });
      return rejectUpgrade(socket, 503, 'tracker at memory capacity');
    }
    const ip = clientIp(request, config.TRUST_PROXY);
    if (!perIp.acquire(ip)) {
      metrics.errors.inc({ code: 'rate_limited' });
      logger.warn('connection refused: too many from this address', {
        ip,
        limit: config.MAX_CONNECTIONS_PER_IP,
      });
      return rejectUpgrade(socket, 429, 'too many connections from this address');
    }
    socket.on('error', () => undefined);
    wss.handleUpgrade(request, socket, head, (ws) => {
      tracker.openSession(ws, ip);
      ws.once('close', () => perIp.release(ip));
    });
  });

  tracker.start();
  let closing: Promise<void> | null = null;

  return {
    nodeId,
    server,
    tracker,
    store,
    metrics,
    async listen() {
      const address = await listen(server, config.PORT, config.HOST);
      logger.info('tracker listening', {
        url: `ws://${address.address}:${address.port}/ws`,
        store: store.kind,
      });
      return address;
    },
    close() {
      closing ??= (async () => {
        stopping = true;
        const http = closeGracefully(server, config.SHUTDOWN_TIMEOUT_MS);
        await tracker.shutdown();
        wss.close();
        await store.destroy();
        await http;
      })();
      return closing;
    },
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function clientIp(request: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return (request.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
}
