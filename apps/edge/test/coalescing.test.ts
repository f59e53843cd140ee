import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { waitFor } from '@coral-cdn/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchRaw, startEdge, type RunningEdge } from './support/harness.js';
import { bytes, etagOf, Gate, TestOrigin } from './support/test-origin.js';

interface StreamingClient {
  /** Resolves with the headers and the first body bytes' arrival. */
  readonly firstBytes: Promise<IncomingHttpHeaders>;
  readonly body: Promise<Buffer>;
}

function streamingGet(url: string): StreamingClient {
  let resolveFirst!: (headers: IncomingHttpHeaders) => void;
  const firstBytes = new Promise<IncomingHttpHeaders>((resolve) => (resolveFirst = resolve));
  const body = new Promise<Buffer>((resolve, reject) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        if (chunks.length === 0) resolveFirst(res.headers);
        chunks.push(chunk);
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  return { firstBytes, body };
}

describe('request coalescing', () => {
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

  it('200 concurrent misses make one origin request, and every client streams bytes before the origin finishes', async () => {
    const path = '/vod/v1/720p/seg_1.m4s';
    const segment = bytes(1024 * 1024, 7);
    const gate = new Gate();
    let originFinished = false;
    origin.route(path, async (_req, res) => {
      res.writeHead(200, {
        'content-type': 'video/iso.segment',
        'content-length': String(segment.length),
        'cache-control': 'public, max-age=31536000, immutable',
        etag: etagOf(segment),
      });
      res.write(segment.subarray(0, 256 * 1024));
      await gate.opened; // the rest only once every client has seen its first bytes
      for (let offset = 256 * 1024; offset < segment.length; offset += 64 * 1024) {
        res.write(segment.subarray(offset, offset + 64 * 1024));
        await new Promise((resolve) => setImmediate(resolve));
      }
      res.end();
      originFinished = true;
    });

    const clients = Array.from({ length: 200 }, () => streamingGet(`${edge.url}${path}`));
    const firstHeaders = await Promise.all(clients.map((client) => client.firstBytes));
    expect(originFinished).toBe(false);
    expect(origin.count(path)).toBe(1);
    for (const headers of firstHeaders) {
      expect(headers['x-cache']).toBe('MISS');
      expect(headers['content-length']).toBe(String(segment.length));
    }

    gate.open();
    const bodies = await Promise.all(clients.map((client) => client.body));
    expect(bodies).toHaveLength(200);
    for (const body of bodies) expect(body.equals(segment)).toBe(true);
    expect(origin.count(path)).toBe(1);
    const stats = edge.edge.stats();
    expect(stats.requests.coalescedWaits).toBe(199);
    expect(stats.requests.misses).toBe(200);

    const again = await fetchRaw(`${edge.url}${path}`);
    expect(again.headers['x-cache']).toBe('HIT');
    expect(again.body.equals(segment)).toBe(true);
    expect(origin.count(path)).toBe(1);
  });

  it('a request arriving mid-download is replayed what it missed, then streamed the rest', async () => {
    const path = '/vod/v1/720p/seg_2.m4s';
    const segment = bytes(512 * 1024, 8);
    const gate = new Gate();
    origin.route(path, async (_req, res) => {
      res.writeHead(200, {
        'content-length': String(segment.length),
        'cache-control': 'public, max-age=60',
      });
      res.write(segment.subarray(0, 100_000));
      await gate.opened;
      res.end(segment.subarray(100_000));
    });
    const early = streamingGet(`${edge.url}${path}`);
    await early.firstBytes;
    const late = streamingGet(`${edge.url}${path}`);
    await late.firstBytes;
    gate.open();
    const [earlyBody, lateBody] = await Promise.all([early.body, late.body]);
    expect(earlyBody.equals(segment)).toBe(true);
    expect(lateBody.equals(segment)).toBe(true);
    expect(origin.count(path)).toBe(1);
  });

  it('an uncacheable response is shared by those already waiting but not joined later', async () => {
    const path = '/feeds/now.json';
    const gate = new Gate();
    let served = 0;
    origin.route(path, async (_req, res) => {
      served++;
      await gate.opened;
      res.writeHead(200, { 'cache-control': 'no-store', 'content-type': 'text/plain' });
      res.end(`response ${served}`);
    });
    const first = Array.from({ length: 5 }, () => fetchRaw(`${edge.url}${path}`));
    // All five have joined the one fill (four waits on the first request's fill).
    await waitFor(
      'five requests on one fill',
      () => edge.edge.stats().requests.coalescedWaits === 4,
      {
        timeoutMs: 5000,
        intervalMs: 5,
      },
    );
    expect(served).toBe(1);
    gate.open();
    const bodies = await Promise.all(first);
    expect(new Set(bodies.map((response) => response.body.toString()))).toEqual(
      new Set(['response 1']),
    );
    const later = await fetchRaw(`${edge.url}${path}`);
    expect(later.body.toString()).toBe('response 2');
    expect(later.headers['x-cache']).toBe('MISS');
  });
});
