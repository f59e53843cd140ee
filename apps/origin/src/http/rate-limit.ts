import { isIPv6 } from 'node:net';

export interface TokenBucketOptions {
  /** Tokens added per second. */
  readonly refillPerSec: number;
  /** Bucket size: how many requests a client can make at once after a quiet spell. */
  readonly burst: number;
  /** Clients remembered at most; the least recently seen are forgotten first. */
  readonly maxClients?: number;
  readonly now?: () => number;
}

export type Take = { ok: true } | { ok: false; retryAfterSec: number };

/**
 * A token bucket per client key. A bucket that has refilled completely is the same as no
 * bucket, so forgetting one (to bound memory) never grants a client more than a full bucket.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(private readonly options: TokenBucketOptions) {
    this.maxClients = options.maxClients ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  take(client: string): Take {
    const { refillPerSec, burst } = this.options;
    const nowMs = this.now();
    const bucket = this.buckets.get(client);
    let tokens = burst;
    if (bucket) {
      tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * refillPerSec);
      this.buckets.delete(client); // re-inserted below: Map order is recency
    }
    if (tokens < 1) {
      this.buckets.set(client, { tokens, atMs: nowMs });
      return { ok: false, retryAfterSec: Math.max(1, Math.ceil((1 - tokens) / refillPerSec)) };
    }
    this.buckets.set(client, { tokens: tokens - 1, atMs: nowMs });
    if (this.buckets.size > this.maxClients) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    return { ok: true };
  }

  get size(): number {
    return this.buckets.size;
  }
}

/**
 * The rate-limit key of an address: IPv4 as is, IPv6 by its /64 (one subscriber's prefix;
 * a client holding a /64 would otherwise have 2^64 buckets).
 */
export function clientKey(address: string): string {
  const plain =
    address.startsWith('::ffff:') && !address.slice(7).includes(':') ? address.slice(7) : address;
  if (!isIPv6(plain)) return plain;
  const [head = '', tail = ''] = plain.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (`64:ff9b::1.2.3.4`) stands for two groups.
  const width = (parts: string[]) => parts.reduce((n, part) => n + (part.includes('.') ? 2 : 1), 0);
  const groups = plain.includes('::')
    ? [...headParts, ...Array<string>(8 - width(headParts) - width(tailParts)).fill('0')]
    : headParts;
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}
