import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, createFetchHttpClient, HttpError, type Clock } from '../src/index.js';

const body = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/missing') {
      res.writeHead(404).end();
      return;
    }
    if (req.url === '/truncated') {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.from(body.subarray(0, 10)));
      setTimeout(() => res.destroy(), 20);
      return;
    }
    if (req.url === '/slow') {
      res.writeHead(200, { 'content-length': String(body.byteLength) });
      res.write(Buffer.from(body.subarray(0, 1000)));
      return; // never finishes
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const slice = body.subarray(start, range?.[2] ? Number(range[2]) + 1 : body.byteLength);
    res.writeHead(range ? 206 : 200, { 'content-length': String(slice.byteLength) });
    // Several writes: the client sees the body arrive in pieces.
    for (let offset = 0; offset < slice.byteLength; offset += 64 * 1024) {
      res.write(Buffer.from(slice.subarray(offset, offset + 64 * 1024)));
    }
    res.end();
  });
  // Longer than the client's keep-alive: a socket the server closes while the client reuses
  // it is a network error by design, and not what these tests are about.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const clock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};
const http = createFetchHttpClient({
  fetch,
  clock,
  createAbortController: () => new AbortController(),
});

describe('fetch HTTP client', () => {
  it('streams a body, reporting progress as it arrives', async () => {
    const progress: number[] = [];
    const response = await http.get({
      url: `${base}/seg`,
      onProgress: (loaded) => progress.push(loaded),
    }).promise;
    expect(response.status).toBe(200);
    expect(response.bytes).toEqual(body);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress[progress.length - 1]).toBe(body.byteLength);
    expect(response.firstByteAtMs).toBeLessThanOrEqual(clock.now());
  });

  it('resumes with a Range request', async () => {
    const response = await http.get({ url: `${base}/seg`, rangeStartBytes: 100_000 }).promise;
    expect(response.status).toBe(206);
    expect(response.bytes).toEqual(body.subarray(100_000));
  });

  it('asks for a closed range: the head of a segment whose tail came from elsewhere', async () => {
    const request = { url: `${base}/seg`, rangeStartBytes: 1_000, rangeEndBytes: 50_000 };
    const response = await http.get(request).promise;
    expect(response.status).toBe(206);
    expect(response.bytes).toEqual(body.subarray(1_000, 50_000));
    const head = await http.get({ url: `${base}/seg`, rangeEndBytes: 20_000 }).promise;
    expect(head.bytes).toEqual(body.subarray(0, 20_000));
  });

  it('turns HTTP errors and truncated bodies into typed errors', async () => {
    await expect(http.get({ url: `${base}/missing` }).promise).rejects.toBeInstanceOf(HttpError);
    await expect(http.get({ url: `${base}/truncated` }).promise).rejects.toMatchObject({
      code: 'network_error',
    });
    await expect(http.get({ url: 'http://127.0.0.1:1/nothing' }).promise).rejects.toMatchObject({
      code: 'network_error',
    });
  });

  it('cancels a transfer in flight', async () => {
    const request = http.get({ url: `${base}/slow` });
    await new Promise((resolve) => setTimeout(resolve, 50));
    request.cancel();
    await expect(request.promise).rejects.toBeInstanceOf(AbortedError);
  });
});
