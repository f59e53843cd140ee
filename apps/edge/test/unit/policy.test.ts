import { describe, expect, it } from 'vitest';
import { parseCacheControl, storagePolicy } from '../../src/cache/policy.js';

const limits = { defaultTtlSec: 0, staleWhileRevalidateSec: 2, staleIfErrorSec: 300 };
const now = Date.parse('2026-01-01T00:00:00Z');

describe('parseCacheControl', () => {
  it('reads the directives a shared cache acts on', () => {
    expect(parseCacheControl('public, max-age=31536000, immutable')).toMatchObject({
      maxAgeSec: 31_536_000,
      noStore: false,
      private: false,
    });
    expect(parseCacheControl('Max-Age=10, S-MAXAGE=20, no-cache, proxy-revalidate')).toMatchObject({
      maxAgeSec: 10,
      sMaxAgeSec: 20,
      noCache: true,
      mustRevalidate: true,
    });
    // A malformed value (quoted, decimal, letters) means already stale, never fresh.
    for (const bad of ['max-age=abc', 'max-age="10"', 'max-age=10.5', "max-age='10'"]) {
      expect(parseCacheControl(bad).maxAgeSec).toBe(0);
    }
    // s-maxage forbids serving stale, as proxy-revalidate does.
    expect(parseCacheControl('s-maxage=2').mustRevalidate).toBe(true);
    expect(parseCacheControl('max-age=2').mustRevalidate).toBe(false);
    // A quoted extension argument does not hide or fake a directive.
    expect(parseCacheControl('ext="max-age=3600", max-age=1').maxAgeSec).toBe(1);
    expect(parseCacheControl('max-age=1, max-age=100').maxAgeSec).toBe(1);
  });
});

describe('storagePolicy', () => {
  it('follows max-age and bounds the stale windows by the limits', () => {
    expect(storagePolicy({ 'cache-control': 'max-age=1' }, limits, now)).toEqual({
      storable: true,
      freshnessSec: 1,
      initialAgeSec: 0,
      staleWhileRevalidateSec: 2,
      staleIfErrorSec: 300,
    });
    expect(
      storagePolicy(
        { 'cache-control': 'max-age=1, stale-while-revalidate=60, stale-if-error=5' },
        limits,
        now,
      ),
    ).toMatchObject({ staleWhileRevalidateSec: 2, staleIfErrorSec: 5 });
  });

  it('refuses what must not be stored', () => {
    expect(storagePolicy({ 'cache-control': 'no-store' }, limits, now)).toMatchObject({
      storable: false,
    });
    expect(storagePolicy({ 'cache-control': 'private, max-age=9' }, limits, now)).toMatchObject({
      storable: false,
    });
    expect(
      storagePolicy({ 'cache-control': 'max-age=9', 'set-cookie': ['a=b'] }, limits, now),
    ).toMatchObject({
      storable: false,
    });
    expect(storagePolicy({ 'cache-control': 'max-age=9', vary: '*' }, limits, now)).toMatchObject({
      storable: false,
    });
    expect(storagePolicy({}, limits, now)).toMatchObject({ storable: false });
  });

  it('stores no-cache and validator-only responses for revalidation, never stale', () => {
    expect(
      storagePolicy({ 'cache-control': 'no-cache, max-age=60', etag: '"a"' }, limits, now),
    ).toMatchObject({
      storable: true,
      freshnessSec: 0,
      staleWhileRevalidateSec: 0,
      staleIfErrorSec: 0,
    });
    expect(storagePolicy({ etag: '"a"' }, limits, now)).toMatchObject({
      storable: true,
      freshnessSec: 0,
    });
  });

  it('falls back to Expires minus Date, then to the default TTL', () => {
    expect(
      storagePolicy(
        { date: 'Thu, 01 Jan 2026 00:00:00 GMT', expires: 'Thu, 01 Jan 2026 00:01:00 GMT' },
        limits,
        now,
      ),
    ).toMatchObject({ storable: true, freshnessSec: 60 });
    expect(storagePolicy({ expires: '0', etag: '"a"' }, limits, now)).toMatchObject({
      freshnessSec: 0,
    });
    expect(storagePolicy({}, { ...limits, defaultTtlSec: 30 }, now)).toMatchObject({
      freshnessSec: 30,
    });
  });

  it('counts the origin Age', () => {
    expect(storagePolicy({ 'cache-control': 'max-age=60', age: '15' }, limits, now)).toMatchObject({
      initialAgeSec: 15,
    });
  });
});
