import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchRaw, startEdge, type RunningEdge } from './support/harness.js';
import { TestOrigin } from './support/test-origin.js';

/**
 * The shared-cache rules for what the edge does not know as HLS (RFC 9111, RFC 9213), each
 * against a real origin on loopback: Vary, CDN-Cache-Control / Surrogate-Control, requests
 * with Authorization, 304 header merge, invalid Expires, the request directives the edge
 * honours, and the request headers a fill forwards.
 */

let origin: TestOrigin;
let edge: RunningEdge;

beforeEach(async () => {
  origin = await TestOrigin.start();
  edge = await startEdge(origin.url);
});

afterEach(async () => {
  await edge.close();
  await origin.close();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetchRaw(`${edge.url}${path}`, { headers });

/** Requests for `path` that reached the origin. */
const originRequests = (path: string) => origin.requests.filter((r) => r.url === path);

describe('Vary', () => {
  it('keeps one stored variant per value of the varied request field', async () => {
    origin.route('/greeting', (req, res) => {
      const body = req.headers['accept-language'] === 'fr' ? 'bonjour' : 'hello';
      res.writeHead(200, {
        'cache-control': 'max-age=60',
        vary: 'Accept-Language',
        'content-length': String(body.length),
      });
      res.end(body);
    });
    expect((await get('/greeting', { 'accept-language': 'en' })).body.toString()).toBe('hello');
    const french = await get('/greeting', { 'accept-language': 'fr' });
    expect(french.body.toString()).toBe('bonjour');
    expect(french.headers['x-cache']).toBe('MISS');
    const english = await get('/greeting', { 'accept-language': 'en' });
    expect(english.headers['x-cache']).toBe('HIT');
    expect(english.body.toString()).toBe('hello');
    const frenchAgain = await get('/greeting', { 'accept-language': 'fr' });
    expect(frenchAgain.headers['x-cache']).toBe('HIT');
    expect(frenchAgain.body.toString()).toBe('bonjour');
    expect(originRequests('/greeting')).toHaveLength(2);
  });
});

describe('CDN-Cache-Control and Surrogate-Control', () => {
  it('CDN-Cache-Control overrides Cache-Control for the edge, and is passed on', async () => {
    origin.serve('/cdn-store', 'stored by the CDN only', {
      'cache-control': 'no-store',
      'cdn-cache-control': 'max-age=60',
    });
    origin.serve('/cdn-no-store', 'never stored by the CDN', {
      'cache-control': 'max-age=60',
      'cdn-cache-control': 'no-store',
    });
    await get('/cdn-store');
    const hit = await get('/cdn-store');
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['cache-control']).toBe('no-store');
    expect(hit.headers['cdn-cache-control']).toBe('max-age=60');
    expect(originRequests('/cdn-store')).toHaveLength(1);

    await get('/cdn-no-store');
    expect((await get('/cdn-no-store')).headers['x-cache']).toBe('MISS');
    expect(originRequests('/cdn-no-store')).toHaveLength(2);
  });

  it('Surrogate-Control overrides Cache-Control for the edge, and is not passed on', async () => {
    origin.serve('/surrogate', 'kept for a minute by the edge', {
      'cache-control': 'max-age=0',
      'surrogate-control': 'max-age=60',
    });
    await get('/surrogate');
    edge.advance(30_000);
    const hit = await get('/surrogate');
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['surrogate-control']).toBeUndefined();
    expect(originRequests('/surrogate')).toHaveLength(1);
  });
});

describe('requests with Authorization (RFC 9111 §3.5)', () => {
  /** Echoes the credentials it was given, so a leaked copy shows whose it was. */
  function serveAuthorized(path: string, cacheControl: string): void {
    origin.route(path, (req, res) => {
      const body = JSON.stringify({ auth: req.headers.authorization ?? null });
      res.writeHead(200, {
        'cache-control': cacheControl,
        'content-type': 'application/json',
        'content-length': String(body.length),
      });
      res.end(body);
    });
  }

  it('does not store the response unless it says public, s-maxage or must-revalidate', async () => {
    serveAuthorized('/account', 'max-age=60');
    const own = await get('/account', { authorization: 'Bearer alice' });
    expect(JSON.parse(own.body.toString())).toEqual({ auth: 'Bearer alice' });
    const anonymous = await get('/account');
    expect(anonymous.headers['x-cache']).toBe('MISS');
    expect(JSON.parse(anonymous.body.toString())).toEqual({ auth: null });
    expect(originRequests('/account')).toHaveLength(2);
  });

  it.each(['public, max-age=60', 's-maxage=60', 'max-age=60, must-revalidate'])(
    'stores it when the response says %s',
    async (cacheControl) => {
      serveAuthorized('/shared', cacheControl);
      await get('/shared', { authorization: 'Bearer alice' });
      const next = await get('/shared');
      expect(next.headers['x-cache']).toBe('HIT');
      expect(originRequests('/shared')).toHaveLength(1);
    },
  );
});

describe('304 from the origin', () => {
  it('merges its header fields into the stored response (RFC 9111 §4.3.4)', async () => {
    let value = 'a';
    origin.route('/doc.json', (req, res) => {
      const headers = { etag: '"v1"', 'cache-control': 'max-age=10', 'x-test-header': value };
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      res.writeHead(200, { ...headers, 'content-length': '2', 'content-type': 'text/plain' });
      res.end('ok');
    });
    expect((await get('/doc.json')).headers['x-test-header']).toBe('a');
    edge.advance(60_000);
    value = 'b';
    const refreshed = await get('/doc.json');
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.toString()).toBe('ok');
    expect(refreshed.headers['x-test-header']).toBe('b');
    expect(originRequests('/doc.json')[1]!.headers['if-none-match']).toBe('"v1"');
    // The merged headers are stored, and their max-age restarted the clock.
    const hit = await get('/doc.json');
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['x-test-header']).toBe('b');
    expect(originRequests('/doc.json')).toHaveLength(2);
  });
});

describe('invalid Expires (RFC 9111 §5.3)', () => {
  it.each(['garbage', '0', 'Thu, 99 Foo 2099 00:00:00 GMT'])(
    'Expires: %s is already expired',
    async (expires) => {
      origin.serve('/expires-invalid', 'x', { expires });
      await get('/expires-invalid');
      // Stored with its validator, but stale from the start: never a HIT, and each use is
      // revalidated (in the background within the edge's stale-while-revalidate window).
      expect((await get('/expires-invalid')).headers['x-cache']).not.toBe('HIT');
      await edge.settled();
      const requests = originRequests('/expires-invalid');
      expect(requests).toHaveLength(2);
      expect(requests[1]!.headers['if-none-match']).toBeDefined();
    },
  );

  it('a valid Expires in the future is fresh', async () => {
    origin.serve('/expires-valid', 'x', {
      date: new Date().toUTCString(),
      expires: new Date(Date.now() + 3_600_000).toUTCString(),
    });
    await get('/expires-valid');
    expect((await get('/expires-valid')).headers['x-cache']).toBe('HIT');
    expect(originRequests('/expires-valid')).toHaveLength(1);
  });
});

describe('request Cache-Control (documented in cache/request-directives.ts)', () => {
  it('only-if-cached: 504 without asking the origin when nothing is stored, else the copy', async () => {
    origin.serve('/oic', 'stored', { 'cache-control': 'max-age=60' });
    const miss = await get('/oic', { 'cache-control': 'only-if-cached' });
    expect(miss.status).toBe(504);
    expect(originRequests('/oic')).toHaveLength(0);
    await get('/oic');
    const hit = await get('/oic', { 'cache-control': 'only-if-cached' });
    expect(hit.status).toBe(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(originRequests('/oic')).toHaveLength(1);
  });

  it('min-fresh: a copy fresh for less than asked is revalidated', async () => {
    origin.serve('/min-fresh', 'stored', { 'cache-control': 'max-age=60' });
    await get('/min-fresh');
    expect((await get('/min-fresh', { 'cache-control': 'min-fresh=30' })).headers['x-cache']).toBe(
      'HIT',
    );
    expect(originRequests('/min-fresh')).toHaveLength(1);
    await get('/min-fresh', { 'cache-control': 'min-fresh=120' });
    const requests = originRequests('/min-fresh');
    expect(requests).toHaveLength(2);
    expect(requests[1]!.headers['if-none-match']).toBeDefined();
  });

  it('no-cache: a fresh copy is revalidated with a conditional request', async () => {
    origin.serve('/no-cache', 'stored', { 'cache-control': 'max-age=60' });
    await get('/no-cache');
    const revalidated = await get('/no-cache', { 'cache-control': 'no-cache' });
    expect(revalidated.status).toBe(200);
    expect(revalidated.body.toString()).toBe('stored');
    const requests = originRequests('/no-cache');
    expect(requests).toHaveLength(2);
    expect(requests[1]!.headers['if-none-match']).toBeDefined();
  });

  it('is ignored for HLS media: no-cache on a segment is a hit', async () => {
    const path = '/vod/v1/720p/seg_1.m4s';
    origin.serve(path, 'segment', { 'cache-control': 'public, max-age=31536000, immutable' });
    await get(path);
    const hit = await get(path, { 'cache-control': 'no-cache', pragma: 'no-cache' });
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(originRequests(path)).toHaveLength(1);
  });
});

describe('a fill forwards the end-to-end request headers of the request that started it', () => {
  it('forwards them for non-media paths, without hop-by-hop and conditional ones', async () => {
    origin.serve('/page.html', '<p>hi</p>', { 'cache-control': 'max-age=60' });
    await get('/page.html', {
      'accept-language': 'fr',
      'x-custom': 'yes',
      cookie: 'session=1',
      connection: 'x-hop',
      'x-hop': 'dropped',
      range: 'bytes=0-1',
      'if-none-match': '"other"',
    });
    const [request] = originRequests('/page.html');
    expect(request!.headers['accept-language']).toBe('fr');
    expect(request!.headers['x-custom']).toBe('yes');
    expect(request!.headers.cookie).toBe('session=1');
    expect(request!.headers['x-hop']).toBeUndefined();
    // The edge fetches and caches the whole object, unconditionally.
    expect(request!.headers.range).toBeUndefined();
    expect(request!.headers['if-none-match']).toBeUndefined();
    expect(request!.headers.via).toMatch(/coral-edge-test-region/);
  });
});
