// What `npm start` runs (scripts/start.mjs): each service with its port and env, on embedded
// defaults, mirroring infra/docker-compose.yml. Pure (no process, no file system), so a test can
// check the wiring between services without starting any.
import { join } from 'node:path';

export const host = '127.0.0.1';
export const url = (port) => `http://${host}:${port}`;
export const ports = {
  origin: 8080,
  edgeEu: 8081,
  edgeUs: 8082,
  trackerA: 8090,
  trackerB: 8091,
  player: 8000,
  stun: 3478,
};

/**
 * The services, in start order.
 * @param {{
 *   dataDir: string,
 *   redisUrl?: string | undefined,
 *   coturn?: { command: string, secret: string, turnForPeers: boolean } | null,
 * }} options `redisUrl`: two tracker nodes sharing it (else one, in memory); `coturn`: STUN and
 *   TURN from a local coturn (null when it is not installed).
 * @returns {Array<{ name: string, port: number, env?: Record<string, string>, app?: string,
 *   command?: string, args?: string[] }>}
 */
export function stackServices({ dataDir, redisUrl, coturn = null }) {
  const iceEnv = coturn
    ? {
        ICE_STUN_URLS: `stun:${host}:${ports.stun}`,
        ICE_TURN_URLS: `turn:${host}:${ports.stun}?transport=udp,turn:${host}:${ports.stun}?transport=tcp`,
        TURN_SECRET: coturn.secret,
        TURN_FOR_PEERS: String(coturn.turnForPeers),
      }
    : {};
  const trackerPorts = [ports.trackerA, ...(redisUrl ? [ports.trackerB] : [])];
  const trackerUrls = trackerPorts.map((port) => `ws://${host}:${port}/ws`);
  return [
    {
      name: 'origin',
      app: 'origin',
      port: ports.origin,
      env: {
        DATA_DIR: join(dataDir, 'origin'),
        PUBLIC_URL: url(ports.origin),
        EDGES: `eu-west=${url(ports.edgeEu)},us-east=${url(ports.edgeUs)}`,
        DEFAULT_REGION: 'eu-west',
        TRACKER_URLS: trackerUrls.join(','),
        ...iceEnv,
      },
    },
    ...['eu-west', 'us-east'].map((region, index) => ({
      name: `edge-${region}`,
      app: 'edge',
      port: index === 0 ? ports.edgeEu : ports.edgeUs,
      env: { ORIGIN_URL: url(ports.origin), EDGE_REGION: region },
    })),
    {
      name: 'tracker-a',
      app: 'tracker',
      port: ports.trackerA,
      env: {
        TOKEN_JWKS_URL: `${url(ports.origin)}/.well-known/jwks.json`,
        NODE_ID: 'tracker-a',
        ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
      },
    },
    ...(redisUrl
      ? [
          {
            name: 'tracker-b',
            app: 'tracker',
            port: ports.trackerB,
            env: {
              TOKEN_JWKS_URL: `${url(ports.origin)}/.well-known/jwks.json`,
              NODE_ID: 'tracker-b',
              REDIS_URL: redisUrl,
            },
          },
        ]
      : []),
    {
      name: 'player',
      app: 'player',
      port: ports.player,
      env: {
        ORIGIN_URL: url(ports.origin),
        // The analytics page adds up every tracker node's /stats and /metrics: with two nodes,
        // viewers routed to tracker-b count too (as docker-compose's player is told).
        TRACKER_STATS_URLS: trackerPorts.map(url).join(','),
      },
    },
    ...(coturn
      ? [
          {
            name: 'coturn',
            command: coturn.command,
            port: ports.stun,
            args: [
              '-n',
              '--no-cli',
              '--no-tls',
              '--no-dtls',
              '--log-file=stdout',
              '--simple-log',
              `--listening-ip=${host}`,
              `--relay-ip=${host}`,
              `--listening-port=${ports.stun}`,
              '--min-port=49160',
              '--max-port=49200',
              '--realm=coral',
              '--use-auth-secret',
              `--static-auth-secret=${coturn.secret}`,
              '--fingerprint',
              '--no-multicast-peers',
              // The demo runs on loopback; a real deployment keeps loopback peers denied.
              '--allow-loopback-peers',
              // Relaying to viewers' private host candidates is useless and an SSRF hole; where
              // unreachable, coturn drops the whole allocation. Refuse them up front (403).
              '--denied-peer-ip=10.0.0.0-10.255.255.255',
              '--denied-peer-ip=172.16.0.0-172.31.255.255',
              '--denied-peer-ip=192.168.0.0-192.168.255.255',
              `--pidfile=${join(dataDir, 'turnserver.pid')}`,
            ],
          },
        ]
      : []),
  ];
}
