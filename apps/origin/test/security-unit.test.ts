import { ConfigError, parseConfig } from '@coral-cdn/server-kit';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateGeneratedKey } from '../src/auth/generated-key.js';
import { OperatorKeys, parseOperatorKeys } from '../src/auth/operator-keys.js';
import { originConfigSchema, resolveConfig } from '../src/config.js';
import { checkPlaybackSignature, signPlayback } from '../src/http/playback-auth.js';
import { clientKey, TokenBuckets } from '../src/http/rate-limit.js';
import { decodeAmf0, encodeAmf0 } from '../src/live/rtmp/amf0.js';
import { ChunkReader, RtmpProtocolError, writeMessage } from '../src/live/rtmp/chunks.js';
import { streamKeyMatches } from '../src/live/rtmp/gate.js';

describe('operator keys', () => {
  it('parses keys with and without scopes', () => {
    const parsed = parseOperatorKeys(
      'aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb:videos:write+read:secrets',
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect([...parsed.keys[0]!.scopes].sort()).toEqual([
      'live:write',
      'read:secrets',
      'videos:write',
    ]);
    expect([...parsed.keys[1]!.scopes].sort()).toEqual(['read:secrets', 'videos:write']);
  });

  it('refuses short keys, odd characters and unknown scopes', () => {
    expect(parseOperatorKeys('short').ok).toBe(false);
    expect(parseOperatorKeys('has space in it 0123456').ok).toBe(false);
    expect(parseOperatorKeys('aaaaaaaaaaaaaaaa:admin').ok).toBe(false);
    expect(parseOperatorKeys(' , ').ok).toBe(false);
  });

  it('checks a Bearer header against every key', () => {
    const keys = new OperatorKeys([
      { key: 'first-key-0123456789', scopes: new Set(['videos:write']) },
      { key: 'second-key-0123456789', scopes: new Set(['live:write']) },
    ]);
    expect(keys.check(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(keys.check('Basic first-key-0123456789')).toEqual({ ok: false, reason: 'missing' });
    expect(keys.check('Bearer first-key-012345678')).toEqual({ ok: false, reason: 'unknown' });
    expect(keys.check('Bearer first-key-0123456789x')).toEqual({ ok: false, reason: 'unknown' });
    const second = keys.check('bearer second-key-0123456789');
    expect(second.ok && [...second.scopes]).toEqual(['live:write']);
  });

  it('a bad key or secret in the config names the variable and never echoes the value', () => {
    const parse = (env: Record<string, string>) => () =>
      resolveConfig(parseConfig(originConfigSchema, { env }));
    expect(parse({ OPERATOR_API_KEYS: 'tiny-secret' })).toThrow(ConfigError);
    expect(parse({ OPERATOR_API_KEYS: 'tiny-secret' })).toThrow(/^OPERATOR_API_KEYS: /);
    expect(parse({ OPERATOR_API_KEYS: 'tiny-secret' })).not.toThrow(/tiny-secret/);
    expect(parse({ PLAYBACK_SIGNING_SECRET: 'too-short-secret' })).not.toThrow(/too-short/);
    expect(parse({ PLAYBACK_SIGNING_SECRET: 'too-short-secret' })).toThrow(
      /^PLAYBACK_SIGNING_SECRET: /,
    );
    expect(() => parseConfig(originConfigSchema, { env: { PLAYBACK_AUTH: 'signed' } })).toThrow(
      /PLAYBACK_SIGNING_SECRET/,
    );
  });
});

describe('the generated development key', () => {
  it('is one a command line takes as a value (hex, never a leading dash) and survives a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'coral-key-'));
    try {
      const made = await loadOrCreateGeneratedKey(dataDir);
      expect(made.created).toBe(true);
      expect(made.key).toMatch(/^[0-9a-f]{64}$/);
      expect(parseOperatorKeys(made.key).ok).toBe(true);
      expect(await loadOrCreateGeneratedKey(dataDir)).toEqual({ ...made, created: false });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the playback rate limit', () => {
  it('a token bucket: a burst, then the refill rate, with the wait to say', () => {
    let nowMs = 0;
    const buckets = new TokenBuckets({ refillPerSec: 0.5, burst: 3, now: () => nowMs });
    for (let i = 0; i < 3; i++) expect(buckets.take('a').ok).toBe(true);
    expect(buckets.take('a')).toEqual({ ok: false, retryAfterSec: 2 });
    expect(buckets.take('b').ok).toBe(true);
    nowMs = 2000;
    expect(buckets.take('a').ok).toBe(true);
    expect(buckets.take('a').ok).toBe(false);
  });

  it('remembers a bounded number of clients', () => {
    const buckets = new TokenBuckets({ refillPerSec: 1, burst: 1, maxClients: 100 });
    for (let i = 0; i < 1000; i++) buckets.take(`10.0.${i >> 8}.${i & 255}`);
    expect(buckets.size).toBe(100);
  });

  it('keys IPv4 by address and IPv6 by its /64', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(clientKey('2001:db8:1:2::1')).not.toBe(clientKey('2001:db8:1:3::1'));
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
  });
});

describe('signed playback requests', () => {
  const secret = 'a-shared-secret-of-at-least-32-chars!';
  const nowMs = 1_800_000_000_000;
  const expires = String(nowMs / 1000 + 60);

  it('accepts the HMAC of "<id>:<expires>" until it expires', () => {
    const sig = signPlayback(secret, 'demo', Number(expires));
    expect(checkPlaybackSignature(secret, 'demo', expires, sig, nowMs)).toEqual({ ok: true });
    expect(checkPlaybackSignature(secret, 'demo', expires, sig, nowMs + 61_000)).toEqual({
      ok: false,
      code: 'signature_expired',
    });
  });

  it('refuses another id, another expiry, another secret, and nothing at all', () => {
    const sig = signPlayback(secret, 'demo', Number(expires));
    const check = (id: string, e: unknown, s: unknown) =>
      checkPlaybackSignature(secret, id, e, s, nowMs);
    expect(check('other', expires, sig)).toEqual({ ok: false, code: 'bad_signature' });
    expect(check('demo', String(Number(expires) + 1), sig)).toEqual({
      ok: false,
      code: 'bad_signature',
    });
    const foreign = signPlayback(`${secret}x`, 'demo', Number(expires));
    expect(check('demo', expires, foreign)).toEqual({ ok: false, code: 'bad_signature' });
    expect(check('demo', undefined, undefined)).toEqual({ ok: false, code: 'signature_required' });
    expect(check('demo', expires, 'zz')).toEqual({ ok: false, code: 'bad_signature' });
  });
});

describe('RTMP parsing for the ingest key check', () => {
  it('AMF0 round-trips a publish command', () => {
    const bytes = encodeAmf0(['publish', 5, null, 'the-key', 'live', { a: 1, b: 'x' }]);
    expect(decodeAmf0(bytes)).toEqual(['publish', 5, null, 'the-key', 'live', { a: 1, b: 'x' }]);
  });

  it('AMF0 refuses truncated and deeply nested values', () => {
    const bytes = encodeAmf0(['publish', 5]);
    expect(() => decodeAmf0(bytes.subarray(0, bytes.length - 2))).toThrow(/truncated/);
    let nested = Buffer.from([0x05]);
    for (let i = 0; i < 20; i++) {
      nested = Buffer.concat([Buffer.from([0x03, 0, 1, 0x61]), nested, Buffer.from([0, 0, 9])]);
    }
    expect(() => decodeAmf0(nested)).toThrow(/deep/);
  });

  it('reassembles a message split into chunks, in any slicing of the bytes', () => {
    const payload = encodeAmf0(['connect', 1, { app: 'live', tcUrl: 'x'.repeat(300) }]);
    const wire = writeMessage(3, { type: 20, streamId: 0, payload });
    for (const step of [1, 7, 128, wire.length]) {
      const reader = new ChunkReader(64 * 1024);
      const messages = [];
      for (let at = 0; at < wire.length; at += step) {
        messages.push(...reader.push(wire.subarray(at, at + step)));
      }
      expect(messages).toHaveLength(1);
      expect(messages[0]!.payload.equals(payload)).toBe(true);
    }
  });

  it('honours Set Chunk Size and refuses oversized messages and headerless streams', () => {
    const size = Buffer.alloc(4);
    size.writeUInt32BE(4096);
    const reader = new ChunkReader(64 * 1024);
    reader.push(writeMessage(2, { type: 1, streamId: 0, payload: size }));
    // After the new chunk size, a 1000-byte message comes in one chunk.
    const payload = Buffer.alloc(1000, 7);
    const header = writeMessage(3, { type: 20, streamId: 0, payload }).subarray(0, 12);
    expect(reader.push(Buffer.concat([header, payload]))[0]!.payload.length).toBe(1000);
    const huge = Buffer.from([0x03, 0, 0, 0, 0x10, 0, 0, 20, 0, 0, 0, 0]);
    expect(() => new ChunkReader(64 * 1024).push(huge)).toThrow(RtmpProtocolError);
    expect(() => new ChunkReader(64 * 1024).push(Buffer.from([0xc4, 1, 2]))).toThrow(
      /without a full header/,
    );
  });

  it('compares stream keys exactly', () => {
    expect(streamKeyMatches('abc', 'abc')).toBe(true);
    expect(streamKeyMatches('abc', 'abcd')).toBe(false);
    expect(streamKeyMatches('', 'abc')).toBe(false);
  });
});
