import { afterEach, beforeAll } from 'vitest';
import {
  decodeServerMessage,
  TRACKER_PROTOCOL_VERSION,
  VIEWER_TOKEN_AUDIENCE,
  VIEWER_TOKEN_ISSUER,
  type BeaconStats,
  type ClientMessage,
  type ConnectionType,
  type ServerMessage,
} from '@coral-cdn/protocol';
import { createLogger } from '@coral-cdn/server-kit';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import WebSocket from 'ws';
import { createTrackerApp, type TrackerApp } from '../src/app.js';
import { trackerConfig } from '../src/config.js';

export interface TokenKeys {
  privateKey: CryptoKey;
  /** base64url raw public key, as TOKEN_PUBLIC_KEY takes it. */
  publicKey: string;
}

export async function makeKeys(): Promise<TokenKeys> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = await exportJWK(publicKey);
  return { privateKey, publicKey: jwk.x! };
}

export async function signToken(
  keys: TokenKeys,
  claims: { sub?: string; stream: string; expiresInSec?: number; iss?: string; aud?: string },
): Promise<string> {
  const nowSec = Math.floor(Date.now() / 1000);
  return new SignJWT({ stream: claims.stream })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'test' })
    .setSubject(claims.sub ?? 'viewer-1')
    .setIssuer(claims.iss ?? VIEWER_TOKEN_ISSUER)
    .setAudience(claims.aud ?? VIEWER_TOKEN_AUDIENCE)
    .setIssuedAt(nowSec - 10)
    .setExpirationTime(nowSec + (claims.expiresInSec ?? 600))
    .sign(keys.privateKey);
}

export interface LogRecord {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export interface RunningTracker {
  app: TrackerApp;
  wsUrl: string;
  httpUrl: string;
  logs: LogRecord[];
  close(): Promise<void>;
}

/**
 * One tracker at a time and the test's clients, all closed after each test; keys made once.
 * `start` closes the tracker of the test so far, if any, before starting the next.
 */
export function trackerFixture() {
  let keys: TokenKeys | null = null;
  let running: RunningTracker | null = null;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    keys = await makeKeys();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await running?.close();
    running = null;
  });
  const keysOf = (): TokenKeys => {
    if (keys === null) throw new Error('trackerFixture: keys are made in beforeAll');
    return keys;
  };
  return {
    clients,
    keys: keysOf,
    async start(env: Record<string, string> = {}): Promise<RunningTracker> {
      await running?.close();
      running = await startTracker(keysOf(), env);
      return running;
    },
    tracker(): RunningTracker {
      if (running === null) throw new Error('trackerFixture: no tracker started');
      return running;
    },
  };
}

/** An in-process tracker on a free port, with the given env overrides. */
export async function startTracker(
  keys: TokenKeys,
  env: Record<string, string> = {},
): Promise<RunningTracker> {
  const config = trackerConfig({
    PORT: '0',
    TOKEN_PUBLIC_KEY: keys.publicKey,
    LIVE_FETCHER_MIN_AGE_MS: '0',
    LIVE_FETCHER_MIN_SERVED_GROUPS: '0',
    // The election tests' members announce 500–8000 kbit/s to test other rules; the
    // preference for 2 Mbit/s uplinks and the share of the best have their own tests.
    LIVE_FETCHER_PREFERRED_UPLOAD_KBPS: '0',
    LIVE_FETCHER_UPLOAD_PERCENT_OF_BEST: '0',
    ...env,
  });
  const logs: LogRecord[] = [];
  const logger = createLogger({
    service: 'tracker',
    level: 'debug',
    write: (line) => logs.push(JSON.parse(line) as LogRecord),
  });
  const app = await createTrackerApp(config, { logger });
  const address = await app.listen();
  return {
    app,
    wsUrl: `ws://127.0.0.1:${address.port}/ws`,
    httpUrl: `http://127.0.0.1:${address.port}`,
    logs,
    close: () => app.close(),
  };
}

type Predicate = (message: ServerMessage) => boolean;

/** A WebSocket client that keeps every tracker message for assertions. */
export class TestClient {
  readonly received: ServerMessage[] = [];
  readonly raw: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  peerId = '';
  private waiters: Array<{ predicate: Predicate; resolve: (m: ServerMessage) => void }> = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const text = (data as Buffer).toString('utf8');
      this.raw.push(text);
      const decoded = decodeServerMessage(text);
      if (!decoded.ok) throw new Error(`tracker sent an invalid message: ${text}`);
      this.received.push(decoded.value);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.predicate(decoded.value)) return true;
        waiter.resolve(decoded.value);
        return false;
      });
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
  }

  static connect(url: string, headers?: Record<string, string>): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      const client = new TestClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  send(message: ClientMessage | Record<string, unknown>): void {
    this.socket.send(JSON.stringify(message));
  }

  sendRaw(data: string | Buffer, options?: { binary?: boolean }): void {
    this.socket.send(data, { binary: options?.binary ?? false });
  }

  /** The first message (already received or coming) matching `what`. */
  next<T extends ServerMessage['type']>(
    what: T | Predicate,
    timeoutMs = 5000,
    after = 0,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    const predicate: Predicate = typeof what === 'string' ? (m) => m.type === what : what;
    const existing = this.received.slice(after).find(predicate);
    if (existing) return Promise.resolve(existing as Extract<ServerMessage, { type: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const kinds = this.received.map((m) => m.type).join(', ');
        reject(
          new Error(
            `no ${String(typeof what === 'string' ? what : 'matching')} message within ${timeoutMs} ms (got: ${kinds})`,
          ),
        );
      }, timeoutMs);
      this.waiters.push({
        predicate,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message as Extract<ServerMessage, { type: T }>);
        },
      });
    });
  }

  /** The first message of `type` (already received or coming) for which `where` holds. */
  nextOf<T extends ServerMessage['type']>(
    type: T,
    where: (message: Extract<ServerMessage, { type: T }>) => boolean,
    timeoutMs = 5000,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    return this.next(
      (m) => m.type === type && where(m as Extract<ServerMessage, { type: T }>),
      timeoutMs,
    ) as Promise<Extract<ServerMessage, { type: T }>>;
  }

  /** Wait for a message that arrives after this call. */
  upcoming<T extends ServerMessage['type']>(what: T | Predicate, timeoutMs = 5000) {
    return this.next(what, timeoutMs, this.received.length);
  }

  all<T extends ServerMessage['type']>(type: T): Array<Extract<ServerMessage, { type: T }>> {
    return this.received.filter((m) => m.type === type) as Array<
      Extract<ServerMessage, { type: T }>
    >;
  }

  /** Round trip a ping: everything the tracker sent before the pong has arrived. */
  async sync(timeoutMs = 5000): Promise<void> {
    const t = Math.floor(Math.random() * 1e9);
    this.send({ type: 'ping', t });
    await this.next((m) => m.type === 'pong' && m.t === t, timeoutMs);
  }

  /** Wait until the tracker handled everything sent so far (signals, haves...). */
  async settle(): Promise<void> {
    // A join or get-peers is handled in order; a get-peers on an unjoined swarm answers fast.
    this.send({ type: 'leave', swarmId: 'settle/none' });
    await this.next(
      (m) => m.type === 'error' && m.code === 'not_joined' && m.message.includes('settle/none'),
      5000,
      this.received.length,
    );
  }

  close(): void {
    this.socket.close();
  }
}

export interface JoinOptions {
  swarmId: string;
  token: string;
  region?: string;
  uploadKbps?: number;
  connectionType?: ConnectionType;
  live?: boolean;
  have?: number[];
  /** Omitted from the message when undefined (a player from before the field). */
  peerProtocol?: number;
  /** The client's address as a proxy reports it (a tracker with TRUST_PROXY takes it). */
  address?: string;
}

export function joinMessage(options: JoinOptions): ClientMessage {
  return {
    type: 'join',
    v: TRACKER_PROTOCOL_VERSION,
    token: options.token,
    swarmId: options.swarmId,
    region: options.region ?? 'eu-west',
    uploadKbps: options.uploadKbps ?? 5000,
    connectionType: options.connectionType ?? 'wifi',
    live: options.live ?? false,
    have: options.have ?? [],
    ...(options.peerProtocol === undefined ? {} : { peerProtocol: options.peerProtocol }),
  };
}

/** Connect and join; resolves once `joined` arrived. */
export async function joinedClient(url: string, options: JoinOptions): Promise<TestClient> {
  const headers = options.address ? { 'x-forwarded-for': options.address } : undefined;
  const client = await TestClient.connect(url, headers);
  client.send(joinMessage(options));
  const joined = await client.next((m) => m.type === 'joined' && m.swarmId === options.swarmId);
  client.peerId = (joined as { peerId: string }).peerId;
  return client;
}

export async function getJson<T = Record<string, unknown>>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return (await response.json()) as T;
}

/**
 * Have `offerer` and `answerer` exchange an offer and its answer through the tracker (what
 * two engines do before they trade data): from then on the tracker counts them in contact.
 */
export async function connectThroughTracker(
  swarmId: string,
  offerer: TestClient,
  answerer: TestClient,
  connectionId = `c${Math.floor(Math.random() * 1e9)}`,
): Promise<void> {
  offerer.send({
    type: 'signal',
    swarmId,
    to: answerer.peerId,
    signal: { kind: 'offer', connectionId, sdp: 'v=0 offer' },
  });
  await answerer.nextOf(
    'signal',
    (m) => m.from === offerer.peerId && m.signal.connectionId === connectionId,
  );
  answerer.send({
    type: 'signal',
    swarmId,
    to: offerer.peerId,
    signal: { kind: 'answer', connectionId, sdp: 'v=0 answer' },
  });
  await offerer.nextOf(
    'signal',
    (m) => m.from === answerer.peerId && m.signal.connectionId === connectionId,
  );
}

/** A beacon's stats: one viewer's modest session so far, with `overrides`. */
export const beaconStats = (overrides: Partial<BeaconStats> = {}): BeaconStats => ({
  httpBytes: 1000,
  p2pBytes: 3000,
  uploadedBytes: 500,
  peers: 2,
  stalls: 1,
  stallMs: 250,
  startupMs: 800,
  fallbacks: 0,
  integrityFailures: 0,
  prefetchWastedBytes: 0,
  bufferSec: 6,
  ...overrides,
});
