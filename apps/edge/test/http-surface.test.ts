import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchRaw, startEdge, type RunningEdge } from './support/harness.js';
import { TestOrigin } from './support/test-origin.js';

let origin: TestOrigin;
let edge: RunningEdge;

beforeAll(async () => {
  origin = await TestOrigin.start();
  edge = await startEdge(origin.url, { MAX_URL_BYTES: '256' });
  origin.serve('/vod/v1/master.m3u8', '#EXTM3U\n', { 'cache-control': 'max-age=60' });
});
afterAll(async () => {
  await edge.close();
  await origin.close();
});

/** Send a raw request line (what a client library would refuse to send) and read the status. */
function rawStatus(target: string, method = 'GET'): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(edge.url).port), '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (match) {
        socket.destroy();
        resolve(Number(match[1]));
      }
    });
    socket.on('error', reject);
    socket.write(`${method} ${target} HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n`);
  });
}

describe('methods', () => {
  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])(
    'answers %s with 405 and Allow, never reaching the origin',
    async (method) => {
      const before = origin.requests.length;
      const response = await fetchRaw(`${edge.url}/vod/v1/master.m3u8`, { method });
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe('GET, HEAD, OPTIONS');
      expect(JSON.parse(response.body.toString())).toMatchObject({ error: 'method_not_allowed' });
      expect(origin.requests.length).toBe(before);
    },
  );

  it('answers a CORS preflight itself', async () => {
    const response = await fetchRaw(`${edge.url}/vod/v1/720p/seg_1.m4s`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://player.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'range, if-none-match',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['access-control-allow-methods']).toBe('GET, HEAD, OPTIONS');
    expect(response.headers['access-control-allow-headers']).toBe('range, if-none-match');
    expect(origin.count('/vod/v1/720p/seg_1.m4s')).toBe(0);
  });
});

describe('response headers', () => {
  it('marks every content response with the region, CORS and cache status', async () => {
    const miss = await fetchRaw(`${edge.url}/vod/v1/master.m3u8`);
    const hit = await fetchRaw(`${edge.url}/vod/v1/master.m3u8`);
    for (const response of [miss, hit]) {
      expect(response.headers['x-coral-edge']).toBe('test-region');
      expect(response.headers['access-control-allow-origin']).toBe('*');
      const exposed = response.headers['access-control-expose-headers']!.toLowerCase();
      for (const name of ['x-cache', 'age', 'content-range', 'x-coral-edge'])
        expect(exposed).toContain(name);
      expect(response.headers.age).toMatch(/^\d+$/);
    }
    expect(miss.headers['x-cache']).toBe('MISS');
    expect(hit.headers['x-cache']).toBe('HIT');
    // The origin's own hop-by-hop and CORS headers do not leak through.
    expect(hit.headers['transfer-encoding']).toBeUndefined();
  });

  it('passes the origin’s 404 through without caching it', async () => {
    const first = await fetchRaw(`${edge.url}/vod/missing/master.m3u8`);
    const second = await fetchRaw(`${edge.url}/vod/missing/master.m3u8`);
    expect(first.status).toBe(404);
    expect(second.status).toBe(404);
    expect(origin.count('/vod/missing/master.m3u8')).toBe(2);
  });
});

describe('odd request targets get a clean 4xx and never reach the origin', () => {
  it.each([
    ['/vod/../etc/passwd', 400],
    ['/vod/%2e%2e/etc/passwd', 400],
    ['/vod/.%2E/etc/passwd', 400],
    ['/vod/a%2Fb/master.m3u8', 400],
    ['/vod/a%5cb/master.m3u8', 400],
    ['/vod/a%00b', 400],
    ['/vod/%zz', 400],
    ['/vod//master.m3u8', 400],
    ['/vod/a?x=%', 400],
    ['http://evil.example/vod/a', 400],
    [`/vod/${'a'.repeat(300)}`, 414],
  ])('%s → %i', async (target, status) => {
    const before = origin.requests.length;
    expect(await rawStatus(target)).toBe(status);
    expect(origin.requests.length).toBe(before);
  });

  it('a target beyond Node’s header limit is refused by the parser', async () => {
    expect(await rawStatus(`/${'a'.repeat(20_000)}`)).toBe(431);
  });
});

describe('own endpoints', () => {
  it('/healthz answers 200 with the region', async () => {
    const response = await fetchRaw(`${edge.url}/healthz`);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body.toString())).toEqual({ status: 'ok', region: 'test-region' });
  });

  it('/stats reports hits, misses, bytes, cache size, origin latency, coalesced waits', async () => {
    const stats = JSON.parse((await fetchRaw(`${edge.url}/stats`)).body.toString()) as Record<
      string,
      unknown
    >;
    expect(stats).toMatchObject({
      region: 'test-region',
      requests: expect.objectContaining({
        hits: expect.any(Number),
        misses: expect.any(Number),
        coalescedWaits: 0,
      }),
      cache: {
        memory: expect.objectContaining({ entries: 1, maxBytes: 256 * 1024 * 1024 }),
        disk: null,
      },
      originLatency: expect.objectContaining({ samples: expect.any(Number) }),
    });
    expect((stats.requests as { bytesServed: number }).bytesServed).toBeGreaterThan(0);
  });

  it('/metrics is Prometheus text labelled with the region', async () => {
    const response = await fetchRaw(`${edge.url}/metrics`);
    expect(response.headers['content-type']).toContain('text/plain');
    const text = response.body.toString();
    expect(text).toMatch(
      /coral_edge_responses_total\{[^}]*cache="HIT"[^}]*region="test-region"[^}]*\} [1-9]/,
    );
    expect(text).toMatch(/coral_edge_origin_latency_seconds_count\{[^}]*region="test-region"/);
    expect(text).toContain('coral_edge_cache_bytes{');
  });
});

describe('ORIGIN_URL with a base path', () => {
  it('prefixes the base path to every origin request', async () => {
    const prefixed = await startEdge(`${origin.url}/cdn/`);
    try {
      origin.serve('/cdn/vod/v1/info.json?a=1', 'prefixed', { 'cache-control': 'max-age=60' });
      const response = await fetchRaw(`${prefixed.url}/vod/v1/info.json?a=1`);
      expect(response.status).toBe(200);
      expect(response.body.toString()).toBe('prefixed');
    } finally {
      await prefixed.close();
    }
  });
});
