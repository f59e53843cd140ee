import { createPublicKey, type KeyObject } from 'node:crypto';
import { MAX_PEERS_PER_ANSWER, MAX_TRACKER_MESSAGE_BYTES } from '@coral-cdn/protocol';
import { baseServiceFields, booleanFlagSchema, parseConfig } from '@coral-cdn/server-kit';
import { DEFAULT_ELECTION_POLICY } from '@coral-cdn/tracker-core';
import { z } from 'zod';
import { parseClusterNodes, type RedisTarget } from './store/redis-target.js';

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);

/** An Ed25519 public key: base64url of the raw 32 bytes, or an SPKI PEM. */
export function parseEd25519PublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  const key = trimmed.startsWith('-----BEGIN')
    ? createPublicKey(trimmed.replace(/\\n/g, '\n'))
    : createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: rawKeyToBase64url(trimmed) },
        format: 'jwk',
      });
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`expected an Ed25519 key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  return key;
}

function rawKeyToBase64url(text: string): string {
  if (!/^[A-Za-z0-9_-]{43}=?$/.test(text)) {
    throw new Error('expected base64url of 32 raw bytes (43 characters) or an SPKI PEM');
  }
  return text.replace(/=$/, '');
}

const clusterNodesSchema = z.string().transform((value, context) => {
  try {
    return parseClusterNodes(value);
  } catch (error) {
    context.addIssue({
      code: 'custom',
      message: `not host:port,host:port,…: ${error instanceof Error ? error.message : String(error)}`,
    });
    return z.NEVER;
  }
});

const publicKeySchema = z.string().transform((value, context) => {
  try {
    return parseEd25519PublicKey(value);
  } catch (error) {
    context.addIssue({
      code: 'custom',
      message: `not an Ed25519 public key: ${error instanceof Error ? error.message : String(error)}`,
    });
    return z.NEVER;
  }
});

const trackerConfigFields = z.object({
  ...baseServiceFields(8090),
  /** Unset (and no REDIS_CLUSTER_NODES): the in-memory store (one node). */
  REDIS_URL: z.string().url().optional(),
  /** Seed nodes of a Redis Cluster, `host:port,host:port`; exclusive with REDIS_URL. */
  REDIS_CLUSTER_NODES: clusterNodesSchema.optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/)
    .default('coral:tracker:'),
  NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  TOKEN_JWKS_URL: z.string().url().default('http://127.0.0.1:8080/.well-known/jwks.json'),
  /** Takes precedence over TOKEN_JWKS_URL when set. */
  TOKEN_PUBLIC_KEY: publicKeySchema.optional(),
  /** Use the first X-Forwarded-For address as the client address (behind a proxy). */
  TRUST_PROXY: booleanFlagSchema.default(false),
  MAX_MESSAGE_BYTES: positiveInt.max(MAX_TRACKER_MESSAGE_BYTES).default(MAX_TRACKER_MESSAGE_BYTES),
  MESSAGES_PER_SEC: positiveInt.default(100),
  /** Token bucket depth; unset: 2 × MESSAGES_PER_SEC. */
  MESSAGES_BURST: positiveInt.optional(),
  MAX_CONNECTIONS_PER_IP: positiveInt.default(256),
  MAX_CONNECTIONS: positiveInt.default(50_000),
  MAX_SWARMS_PER_CONNECTION: positiveInt.max(64).default(4),
  /**
   * Heap in use (MiB) from which new connections and joins are refused (503; close 1013).
   * Unset: 80 % of V8's heap limit. 0: never refuse.
   */
  MEMORY_GUARD_HEAP_MB: nonNegativeInt.optional(),
  /** Protocol errors (bad JSON, schema violations, ...) a connection may make per minute. */
  MAX_STRIKES: positiveInt.default(10),
  HEARTBEAT_MS: positiveInt.min(1000).default(30_000),
  PEERS_PER_ANSWER: positiveInt.max(MAX_PEERS_PER_ANSWER).default(20),
  /** Members sampled and scored per get-peers in a large swarm (all of them below this). */
  MATCH_SCAN_LIMIT: positiveInt.min(8).max(10_000).default(64),
  /** Sequences kept per peer and swarm; beyond it the oldest announced are forgotten. */
  MAX_HAVE_PER_PEER: positiveInt.max(65_536).default(1024),
  LIVE_FETCHERS_PER_SEGMENT: positiveInt.max(8).default(DEFAULT_ELECTION_POLICY.perSegment),
  LIVE_FETCHER_CANDIDATES: positiveInt.max(64).default(DEFAULT_ELECTION_POLICY.candidates),
  /** A peer must be this long in a swarm before it is preferred as a fetcher. */
  LIVE_FETCHER_MIN_AGE_MS: nonNegativeInt.default(DEFAULT_ELECTION_POLICY.minAgeMs),
  LIVE_FETCHER_MIN_UPLOAD_KBPS: nonNegativeInt.default(DEFAULT_ELECTION_POLICY.minUploadKbps),
  /**
   * Peers announcing less upload are elected only when too few others announce this much: a
   * fetcher must serve its followers before the segment's deadline. 0: no preference.
   */
  LIVE_FETCHER_PREFERRED_UPLOAD_KBPS: nonNegativeInt.default(
    DEFAULT_ELECTION_POLICY.preferredUploadKbps,
  ),
  /**
   * Verified upload: beyond the first LIVE_FETCHERS_PER_SEGMENT, a fetcher must have answered
   * offers from peers of this many other address blocks (/24, /48). 0: claimed upload counts.
   */
  LIVE_FETCHER_MIN_SERVED_GROUPS: nonNegativeInt
    .max(16)
    .default(DEFAULT_ELECTION_POLICY.minServedGroups),
  /**
   * Peers announcing less than this percentage of the best verified upload (counted up to
   * LIVE_FETCHER_BEST_UPLOAD_CAP_KBPS) are elected only when too few others announce as much:
   * the uplink that carries a segment to its followers soonest fetches it. 0: no such rule.
   */
  LIVE_FETCHER_UPLOAD_PERCENT_OF_BEST: nonNegativeInt
    .max(100)
    .default(Math.round(DEFAULT_ELECTION_POLICY.uploadShareOfBest * 100)),
  LIVE_FETCHER_BEST_UPLOAD_CAP_KBPS: positiveInt.default(DEFAULT_ELECTION_POLICY.bestUploadCapKbps),
  /** An offer waits this long for its answer. */
  OFFER_TIMEOUT_MS: positiveInt.default(30_000),
  /** After the answer, ICE candidates are relayed for this long. */
  CANDIDATE_WINDOW_MS: positiveInt.default(30_000),
  MAX_PENDING_OFFERS_PER_PEER: positiveInt.default(32),
  /** Distinct reporting address blocks (integrity) that ban a viewer from a small swarm. */
  REPORT_BAN_THRESHOLD: positiveInt.default(2),
  /** Share of a swarm's members whose reports ban in a large swarm (0: the threshold only). */
  REPORT_BAN_SHARE: z.coerce.number().min(0).max(1).default(0.1),
  REPORT_WINDOW_MS: positiveInt.default(10 * 60_000),
  /** A reporter counts only after this long in the swarm. */
  REPORT_MIN_TENURE_MS: nonNegativeInt.default(60_000),
  /** Counted reports per window from one viewer, one address, one /24 or /48. */
  REPORTS_PER_VIEWER: positiveInt.default(5),
  REPORTS_PER_ADDRESS: positiveInt.default(10),
  REPORTS_PER_ADDRESS_GROUP: positiveInt.default(20),
  /** How long a ban from one swarm lasts. */
  BAN_MS: positiveInt.default(10 * 60_000),
  /** Most a beacon may add per second since the previous one: bytes (as Mbit/s) and events. */
  BEACON_MAX_MBPS: positiveInt.default(200),
  BEACON_MAX_EVENTS_PER_SEC: positiveInt.default(10),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(5000),
});

export const trackerConfigSchema = trackerConfigFields.refine(
  (config) => !(config.REDIS_URL && config.REDIS_CLUSTER_NODES),
  {
    message: 'set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both',
    path: ['REDIS_CLUSTER_NODES'],
  },
);

export type TrackerConfig = z.infer<typeof trackerConfigSchema>;

/** The shared store's Redis, or null for the in-memory store. */
export function redisTargetOf(config: TrackerConfig): RedisTarget | null {
  if (config.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: config.REDIS_CLUSTER_NODES };
  if (config.REDIS_URL) return { kind: 'single', url: config.REDIS_URL };
  return null;
}

/** Parse a config from an env-like record (tests and embedding); throws ConfigError. */
export function trackerConfig(env: Record<string, string | undefined> = {}): TrackerConfig {
  return parseConfig(trackerConfigSchema, { env });
}
