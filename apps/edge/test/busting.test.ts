import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchRaw, startEdge, type RunningEdge } from './support/harness.js';
import { bytes, TestOrigin } from './support/test-origin.js';

const IMMUTABLE = { 'cache-control': 'public, max-age=31536000, immutable' };

describe('cache busting', () => {
  let origin: TestOrigin;
  let edge: RunningEdge;

  beforeEach(async () => {
    origin = await TestOrigin.start();
    // 4 MiB of memory: a few hundred busting copies of a 64 KiB segment would evict it.
    edge = await startEdge(origin.url, { CACHE_MEMORY_BYTES: '4MiB', MAX_OBJECT_BYTES: '1MiB' });
  });
  afterEach(async () => {
    await edge.close();
    await origin.close();
  });

  it('unknown query parameters on segments make neither a new key nor an origin fetch', async () => {
    const path = '/vod/v1/720p/seg_1.m4s';
    const segment = bytes(64 * 1024, 3);
    origin.serve(path, segment, IMMUTABLE);
    for (let i = 0; i < 300; i++) {
      const response = await fetchRaw(`${edge.url}${path}?x=${i}&cb=${i * 7}`);
      expect(response.status).toBe(200);
      expect(response.body.equals(segment)).toBe(true);
    }
    // The origin saw exactly one request, for the bare path; the segment is still a hit.
    expect(origin.requests.map((request) => request.url)).toEqual([path]);
    expect((await fetchRaw(`${edge.url}${path}`)).headers['x-cache']).toBe('HIT');
    expect(edge.edge.stats().cache.memory.entries).toBe(1);
  });

  it('Cookie and Authorization on a segment are neither keyed nor forwarded', async () => {
    const path = '/vod/v1/720p/seg_2.m4s';
    origin.serve(path, bytes(32 * 1024, 4), IMMUTABLE);
    for (let i = 0; i < 100; i++) {
      const headers =
        i % 2 === 0 ? { cookie: `session=${i}` } : { authorization: `Bearer viewer-${i}` };
      const response = await fetchRaw(`${edge.url}${path}`, { headers });
      expect(response.status).toBe(200);
    }
    expect(origin.count(path)).toBe(1);
    expect(origin.requests[0]!.headers.cookie).toBeUndefined();
    expect(origin.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('playlists keep _HLS_* parameters and drop the others; an allow-list keeps named ones', async () => {
    origin.serve('/live/c/720p.m3u8?_HLS_msn=5&_HLS_part=1', '#EXTM3U\n', {
      'cache-control': 'max-age=1',
    });
    const response = await fetchRaw(
      `${edge.url}/live/c/720p.m3u8?utm=1&_HLS_part=1&_HLS_msn=5&x=2`,
    );
    expect(response.status).toBe(200);
    expect(origin.requests.map((request) => request.url)).toEqual([
      '/live/c/720p.m3u8?_HLS_msn=5&_HLS_part=1',
    ]);

    const allowing = await startEdge(origin.url, { SEGMENT_QUERY_ALLOW: 'token,sig_*' });
    try {
      origin.serve('/vod/v1/seg_9.m4s?sig_a=1&token=t', 'signed', IMMUTABLE);
      const signed = await fetchRaw(`${allowing.url}/vod/v1/seg_9.m4s?token=t&x=1&sig_a=1`);
      expect(signed.body.toString()).toBe('signed');
    } finally {
      await allowing.close();
    }
  });

  it('other objects keep their query and their credentials', async () => {
    origin.route('/keys/k1.json?v=2', (req, res) => {
      res.writeHead(200, { 'cache-control': 'private', 'content-type': 'application/json' });
      res.end(JSON.stringify({ auth: req.headers.authorization ?? null }));
    });
    const response = await fetchRaw(`${edge.url}/keys/k1.json?v=2`, {
      headers: { authorization: 'Bearer k' },
    });
    expect(JSON.parse(response.body.toString())).toEqual({ auth: 'Bearer k' });
  });

  it('the control API is answered by the edge and never reaches the origin', async () => {
    origin.serve('/api/playback/demo', '{}', { 'cache-control': 'max-age=5' });
    origin.serve('/api/videos', '[]', { 'cache-control': 'max-age=60' });
    for (const path of ['/api/videos', '/api', '/api/channels/x/stop']) {
      const response = await fetchRaw(`${edge.url}${path}`);
      expect(response.status).toBe(404);
      expect(response.headers['cache-control']).toBe('no-store');
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const response = await fetchRaw(`${edge.url}/api/videos`, { method });
      expect(response.status).toBe(405);
    }
    expect((await fetchRaw(`${edge.url}/api/playback/demo`)).status).toBe(200);
    expect(origin.requests.map((request) => request.url)).toEqual(['/api/playback/demo']);
  });
});
