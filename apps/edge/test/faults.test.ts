import { request as httpRequest, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { waitFor } from '@coral-cdn/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchRaw, startEdge, type RunningEdge } from './support/harness.js';
import { bytes, Gate, TestOrigin } from './support/test-origin.js';

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

function openConnections(): Promise<number> {
  return new Promise((resolve, reject) =>
    edge.edge.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

/** Start a GET, read `minBytes` of body, then cut the connection. */
function readSomeThenAbort(url: string, minBytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let received = 0;
    const req = httpRequest(url, { agent: false }, (res) => {
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= minBytes) {
          req.destroy();
          resolve(received);
        }
      });
    });
    req.on('error', (error) => {
      if (received < minBytes) reject(error);
    });
    req.end();
  });
}

describe('broken origin bodies are never cached', () => {
  const path = '/vod/v1/720p/seg_3.m4s';
  const full = bytes(1000, 3);

  /** The first request gets a broken response, later ones the whole body. */
  function breakFirstResponse(breakIt: (socket: Socket) => void): void {
    let served = 0;
    origin.route(path, (req, res) => {
      if (served++ === 0) {
        breakIt(req.socket);
        return;
      }
      res.writeHead(200, { 'content-length': String(full.length), 'cache-control': 'max-age=60' });
      res.end(full);
    });
  }

  async function expectNotCached(): Promise<void> {
    await expect(fetchRaw(`${edge.url}${path}`)).rejects.toThrow();
    await edge.settled();
    expect(edge.edge.stats().requests.originBodyErrors).toBe(1);
    expect(edge.edge.stats().cache.memory.entries).toBe(0);
    const second = await fetchRaw(`${edge.url}${path}`);
    expect(origin.count(path)).toBe(2);
    expect(second.headers['x-cache']).toBe('MISS');
    expect(second.body.equals(full)).toBe(true);
    const third = await fetchRaw(`${edge.url}${path}`);
    expect(third.headers['x-cache']).toBe('HIT');
    expect(origin.count(path)).toBe(2);
  }

  it('a body shorter than its Content-Length (origin closes cleanly) is discarded', async () => {
    await setup();
    breakFirstResponse((socket) => {
      socket.end(
        Buffer.concat([
          Buffer.from(
            'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nCache-Control: max-age=60\r\n\r\n',
          ),
          full.subarray(0, 500),
        ]),
      );
    });
    await expectNotCached();
  });

  it('a connection reset mid-body is discarded', async () => {
    await setup();
    breakFirstResponse((socket) => {
      socket.write(
        Buffer.concat([
          Buffer.from(
            'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nCache-Control: max-age=60\r\n\r\n',
          ),
          full.subarray(0, 500),
        ]),
      );
      setTimeout(() => socket.resetAndDestroy(), 50);
    });
    await expectNotCached();
  });

  it('a chunked body without its last chunk is discarded', async () => {
    await setup();
    breakFirstResponse((socket) => {
      socket.end(
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nCache-Control: max-age=60\r\n\r\n' +
          '5\r\nhello\r\n',
      );
    });
    await expectNotCached();
  });
});

describe('origin errors and timeouts', () => {
  it('retries a 503 and serves the retry', async () => {
    await setup();
    let served = 0;
    origin.route('/vod/a/master.m3u8', (_req, res) => {
      if (served++ === 0) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('busy');
        return;
      }
      res.writeHead(200, {
        'cache-control': 'max-age=60',
        'content-type': 'application/x-mpegurl',
      });
      res.end('#EXTM3U\n');
    });
    const response = await fetchRaw(`${edge.url}/vod/a/master.m3u8`);
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('#EXTM3U\n');
    expect(origin.count('/vod/a/master.m3u8')).toBe(2);
    expect(edge.edge.stats().requests.originRetries).toBe(1);
  });

  it('forwards a persistent 5xx after the bounded retries and does not cache it', async () => {
    await setup({ ORIGIN_RETRIES: '2' });
    origin.route('/vod/a/broken.m3u8', (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain', 'cache-control': 'max-age=60' });
      res.end('boom');
    });
    const first = await fetchRaw(`${edge.url}/vod/a/broken.m3u8`);
    expect(first.status).toBe(500);
    expect(first.body.toString()).toBe('boom');
    expect(first.headers['x-cache']).toBe('MISS');
    expect(origin.count('/vod/a/broken.m3u8')).toBe(3);
    await fetchRaw(`${edge.url}/vod/a/broken.m3u8`);
    expect(origin.count('/vod/a/broken.m3u8')).toBe(6);
  });

  it('retries an attempt that times out, and answers 504 when every attempt does', async () => {
    await setup({ ORIGIN_TIMEOUT_MS: '500', ORIGIN_RETRIES: '1' });
    let slowAttempts = 1;
    const pending: Array<() => void> = [];
    const handler = (path: string) => (_req: unknown, res: ServerResponse) => {
      const answer = () => {
        if (!res.destroyed) {
          res.writeHead(200, { 'cache-control': 'max-age=60' });
          res.end(path);
        }
      };
      if (path.includes('slow') || slowAttempts-- > 0) pending.push(answer);
      else answer();
    };
    origin.route('/vod/a/flaky.m3u8', handler('/vod/a/flaky.m3u8'));
    origin.route('/vod/a/slow.m3u8', handler('/vod/a/slow.m3u8'));

    const flaky = await fetchRaw(`${edge.url}/vod/a/flaky.m3u8`);
    expect(flaky.status).toBe(200);
    expect(origin.count('/vod/a/flaky.m3u8')).toBe(2);

    const slow = await fetchRaw(`${edge.url}/vod/a/slow.m3u8`);
    expect(slow.status).toBe(504);
    expect(JSON.parse(slow.body.toString())).toMatchObject({ error: 'origin_timeout' });
    expect(origin.count('/vod/a/slow.m3u8')).toBe(2);
    for (const answer of pending) answer();
  });

  it('answers 502 when the origin is unreachable', async () => {
    await setup({ ORIGIN_RETRIES: '1' });
    await origin.close();
    const response = await fetchRaw(`${edge.url}/vod/a/master.m3u8`);
    expect(response.status).toBe(502);
    expect(JSON.parse(response.body.toString())).toMatchObject({ error: 'origin_unavailable' });
    expect(edge.edge.stats().requests.gatewayErrors).toBe(1);
    origin = await TestOrigin.start(); // for afterEach
  });
});

describe('client aborts mid-stream', () => {
  it('a cacheable download continues into the cache and nothing stays open', async () => {
    await setup();
    const path = '/vod/v1/720p/seg_9.m4s';
    const segment = bytes(1024 * 1024, 9);
    const gate = new Gate();
    origin.route(path, async (_req, res) => {
      res.writeHead(200, {
        'content-length': String(segment.length),
        'cache-control': 'public, max-age=31536000, immutable',
      });
      res.write(segment.subarray(0, 256 * 1024));
      await gate.opened;
      res.end(segment.subarray(256 * 1024));
    });
    await readSomeThenAbort(`${edge.url}${path}`, 1);
    await waitFor('the abort to be seen', () => edge.edge.stats().requests.clientAborts === 1);
    gate.open();
    await edge.settled();
    await waitFor('no client connections', async () => (await openConnections()) === 0);
    const again = await fetchRaw(`${edge.url}${path}`);
    expect(again.headers['x-cache']).toBe('HIT');
    expect(again.body.equals(segment)).toBe(true);
    expect(origin.count(path)).toBe(1);
  });

  it('an uncacheable download is aborted at the origin when its only client leaves', async () => {
    await setup();
    const path = '/live/l1/720p/huge.bin';
    let originSawClose = false;
    let originWrote = 0;
    origin.route(path, (_req, res) => {
      res.writeHead(200, { 'cache-control': 'no-store' });
      const timer = setInterval(() => {
        res.write(Buffer.alloc(16 * 1024));
        originWrote += 16 * 1024;
      }, 5);
      res.on('close', () => {
        clearInterval(timer);
        originSawClose = !res.writableFinished;
      });
    });
    await readSomeThenAbort(`${edge.url}${path}`, 32 * 1024);
    await waitFor('the origin response to be aborted', () => originSawClose, { timeoutMs: 5000 });
    await edge.settled();
    await waitFor('no client connections', async () => (await openConnections()) === 0);
    expect(originWrote).toBeLessThan(8 * 1024 * 1024);
  });

  it('a credentialed request (a fill of its own) is aborted at the origin when its client leaves', async () => {
    await setup();
    const path = '/private/report.json';
    let originSawClose = false;
    origin.route(path, (req, res) => {
      expect(req.headers.authorization).toBe('Bearer abc');
      res.writeHead(200, { 'cache-control': 'private' });
      const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024)), 5);
      res.on('close', () => {
        clearInterval(timer);
        originSawClose = !res.writableFinished;
      });
    });
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        `${edge.url}${path}`,
        { agent: false, headers: { authorization: 'Bearer abc' } },
        (res) => {
          expect(res.headers['x-cache']).toBe('MISS');
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', () => undefined);
      req.on('close', () => resolve());
      req.on('timeout', () => reject(new Error('timeout')));
      req.end();
    });
    await waitFor('the origin response to be aborted', () => originSawClose, { timeoutMs: 5000 });
    expect(edge.edge.stats().requests.coalescedWaits).toBe(0);
  });
});
