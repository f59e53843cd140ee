import { waitFor } from '@coral-cdn/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchRaw, startEdge, type RunningEdge } from './support/harness.js';
import { Gate, TestOrigin } from './support/test-origin.js';

let origin: TestOrigin;
let edge: RunningEdge;

async function setup(overrides: Parameters<typeof startEdge>[1] = {}): Promise<void> {
  origin = await TestOrigin.start();
  edge = await startEdge(origin.url, overrides);
}

afterEach(async () => {
  await edge.close();
  await origin.close();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetchRaw(`${edge.url}${path}`, { headers });

/** A live playlist whose body changes with `version`, answering 304 to the current ETag. */
function livePlaylist(path: string, cacheControl = 'max-age=1') {
  const state = { version: 1, hold: undefined as Gate | undefined };
  origin.route(path, async (req, res) => {
    await state.hold?.opened;
    const etag = `"v${state.version}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag, 'cache-control': cacheControl });
      res.end();
      return;
    }
    res.writeHead(200, {
      etag,
      'cache-control': cacheControl,
      'content-type': 'application/vnd.apple.mpegurl',
    });
    res.end(`#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:${state.version}\n`);
  });
  return state;
}

describe('freshness follows the origin', () => {
  it('serves a fresh object from cache with its Age, then revalidates with If-None-Match', async () => {
    await setup({ STALE_WHILE_REVALIDATE_SEC: '0' });
    const path = '/vod/v1/720p/index.m3u8';
    livePlaylist(path, 'max-age=10');
    expect((await get(path)).headers['x-cache']).toBe('MISS');
    edge.advance(4000);
    const hit = await get(path);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers.age).toBe('4');
    edge.advance(7000);
    const revalidated = await get(path);
    expect(revalidated.status).toBe(200);
    expect(revalidated.headers['x-cache']).toBe('HIT');
    expect(revalidated.headers.age).toBe('0');
    expect(origin.requests.map((request) => request.headers['if-none-match'])).toEqual([
      undefined,
      '"v1"',
    ]);
    expect(edge.edge.stats().requests.revalidated).toBe(1);
  });

  it('prefers s-maxage to max-age and counts the origin’s Age', async () => {
    await setup({ STALE_WHILE_REVALIDATE_SEC: '0' });
    origin.serve('/a', 'a', { 'cache-control': 'max-age=1, s-maxage=100' });
    origin.serve('/b', 'b', { 'cache-control': 'max-age=100', age: '95' });
    await get('/a');
    await get('/b');
    edge.advance(10_000);
    expect((await get('/a')).headers['x-cache']).toBe('HIT');
    const b = await get('/b');
    expect(b.headers['x-cache']).toBe('HIT'); // revalidated: 95 + 10 > 100
    expect(origin.count('/b')).toBe(2);
    expect(origin.count('/a')).toBe(1);
  });

  it('never stores no-store, private or Set-Cookie responses', async () => {
    await setup();
    origin.serve('/no-store', 'x', { 'cache-control': 'no-store' });
    origin.serve('/private', 'x', { 'cache-control': 'private, max-age=60' });
    origin.serve('/cookie', 'x', { 'cache-control': 'max-age=60', 'set-cookie': 'a=b' });
    for (const path of ['/no-store', '/private', '/cookie']) {
      expect((await get(path)).headers['x-cache']).toBe('MISS');
      expect((await get(path)).headers['x-cache']).toBe('MISS');
      expect(origin.count(path)).toBe(2);
    }
    expect(edge.edge.stats().cache.memory.entries).toBe(0);
  });

  it('stores no-cache but revalidates it on every request, never serving it stale', async () => {
    await setup({ STALE_WHILE_REVALIDATE_SEC: '30', STALE_IF_ERROR_SEC: '300' });
    const path = '/live/l1/integrity.json';
    livePlaylist(path, 'no-cache');
    await get(path);
    const second = await get(path);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(origin.requests.at(-1)!.headers['if-none-match']).toBe('"v1"');
    await origin.close();
    expect((await get(path)).status).toBe(502);
    origin = await TestOrigin.start();
  });

  it('keys on the path plus the normalised query', async () => {
    await setup();
    origin.serve('/vod/v1/thumbs.json?a=1&b=2', 'ab', { 'cache-control': 'max-age=60' });
    const first = await get('/vod/v1/thumbs.json?b=2&a=1');
    expect(first.body.toString()).toBe('ab');
    const second = await get('/vod/v1/thumbs.json?a=%31&&b=2');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(origin.count('/vod/v1/thumbs.json?a=1&b=2')).toBe(1);
  });
});

describe('stale-while-revalidate', () => {
  it('serves STALE at once within the window and refreshes in the background once', async () => {
    await setup({ STALE_WHILE_REVALIDATE_SEC: '5' });
    const path = '/live/l1/720p/index.m3u8';
    const playlist = livePlaylist(path);
    await get(path);
    playlist.version = 2;
    playlist.hold = new Gate(); // the refresh waits until the stale answers are in
    edge.advance(2000);
    const stale = await Promise.all([get(path), get(path), get(path)]);
    for (const response of stale) {
      expect(response.headers['x-cache']).toBe('STALE');
      expect(response.body.toString()).toContain('SEQUENCE:1');
    }
    playlist.hold.open();
    await edge.settled();
    expect(origin.count(path)).toBe(2); // one background refresh for three stale hits
    const fresh = await get(path);
    expect(fresh.headers['x-cache']).toBe('HIT');
    expect(fresh.body.toString()).toContain('SEQUENCE:2');
  });

  it('waits for the origin past the window', async () => {
    await setup({ STALE_WHILE_REVALIDATE_SEC: '1' });
    const path = '/live/l1/480p/index.m3u8';
    const playlist = livePlaylist(path);
    await get(path);
    playlist.version = 2;
    edge.advance(3000);
    const response = await get(path);
    expect(response.headers['x-cache']).toBe('MISS');
    expect(response.body.toString()).toContain('SEQUENCE:2');
  });

  it('uses the origin’s smaller stale-while-revalidate, capped by the configured limit', async () => {
    await setup({ STALE_WHILE_REVALIDATE_SEC: '10' });
    const path = '/live/l1/240p/index.m3u8';
    livePlaylist(path, 'max-age=1, stale-while-revalidate=2');
    await get(path);
    edge.advance(4000);
    expect((await get(path)).headers['x-cache']).not.toBe('STALE');
  });
});

describe('stale-if-error', () => {
  it('serves STALE when the origin is down, within the limit only', async () => {
    await setup({ STALE_WHILE_REVALIDATE_SEC: '0', STALE_IF_ERROR_SEC: '60', ORIGIN_RETRIES: '1' });
    const path = '/vod/v1/720p/seg_1.m4s';
    origin.serve(path, 'segment bytes', { 'cache-control': 'max-age=10' });
    await get(path);
    await origin.close();
    edge.advance(30_000);
    const stale = await get(path);
    expect(stale.status).toBe(200);
    expect(stale.headers['x-cache']).toBe('STALE');
    expect(stale.body.toString()).toBe('segment bytes');
    edge.advance(60_000);
    const gone = await get(path);
    expect(gone.status).toBe(502);
    origin = await TestOrigin.start();
  });

  it('serves STALE when the origin answers 5xx, and not when it says must-revalidate', async () => {
    await setup({ STALE_WHILE_REVALIDATE_SEC: '0', STALE_IF_ERROR_SEC: '60', ORIGIN_RETRIES: '0' });
    let failing = false;
    for (const [path, cacheControl] of [
      ['/soft', 'max-age=1'],
      ['/strict', 'max-age=1, must-revalidate'],
    ] as const) {
      origin.route(path, (_req, res) => {
        if (failing) {
          res.writeHead(503);
          res.end();
          return;
        }
        res.writeHead(200, { 'cache-control': cacheControl, etag: '"x"' });
        res.end(path);
      });
      await get(path);
    }
    failing = true;
    edge.advance(5000);
    const soft = await get('/soft');
    expect(soft.headers['x-cache']).toBe('STALE');
    expect(soft.body.toString()).toBe('/soft');
    expect((await get('/strict')).status).toBe(503);
    await waitFor('stats', () => edge.edge.stats().requests.stale === 1);
  });
});
