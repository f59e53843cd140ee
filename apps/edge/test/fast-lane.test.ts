import { waitFor } from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeCounters } from '../src/stats.js';
import { fetchRaw, startEdge, type RunningEdge } from './support/harness.js';
import { comparable, RawClient, type RawResponse } from './support/raw-client.js';
import { bytes, TestOrigin } from './support/test-origin.js';
import { chromiumHeadLines } from './support/chromium-head.js';

/**
 * The fast lane (src/fast/) against node:http: two edges on one origin, one with the lane
 * (the default) and one with EDGE_FAST_LANE=false, asked the same bytes on real sockets.
 */

const PLAYLIST = '/live/ch1/720p/index.m3u8';
const SEGMENT = '/vod/v1/720p/seg_1.m4s';
const OTHER = '/vod/v1/poster.json';
const BIG = '/vod/v1/720p/seg_big.m4s';

let origin: TestOrigin;
let fast: RunningEdge;
let slow: RunningEdge;
/** Requests node:http parsed, per edge: the lane's answers never reach it. */
const parsed = new Map<RunningEdge, number>();

function get(path: string, extra = '', method = 'GET'): string {
  return `${method} ${path} HTTP/1.1\r\nHost: edge\r\nUser-Agent: t/1\r\nAccept: */*\r\n${extra}\r\n`;
}

/**
 * A request head as Chromium 120+ sends it for hls.js's fetch from a player on another origin
 * (header order and case as Chromium writes them over HTTP/1.1), plus `extra` lines.
 */
function chromium(path: string, extra = '', mobile = '?0'): string {
  return [...chromiumHeadLines(path, { mobile }), ''].join('\r\n').concat(extra, '\r\n');
}

function counters(edge: RunningEdge): EdgeCounters {
  return { ...edge.edge.stats().requests };
}

function delta(before: EdgeCounters, after: EdgeCounters): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(after)) {
    const change = value - before[name as keyof EdgeCounters];
    if (change !== 0) out[name] = change;
  }
  return out;
}

function connections(edge: RunningEdge): Promise<number> {
  return new Promise((resolve, reject) =>
    edge.edge.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

/** The same requests on a connection to each edge: both answers, and what each counted. */
async function both(
  requests: ReadonlyArray<{ text: string; head?: boolean }>,
): Promise<{ fast: RawResponse[]; slow: RawResponse[]; counted: Array<Record<string, number>> }> {
  const answers: RawResponse[][] = [];
  const counted: Array<Record<string, number>> = [];
  for (const edge of [fast, slow]) {
    const client = await RawClient.open(edge.url);
    const before = counters(edge);
    const responses: RawResponse[] = [];
    for (const request of requests)
      responses.push(await client.request(request.text, request.head));
    counted.push(delta(before, counters(edge)));
    answers.push(responses);
    client.close();
  }
  return { fast: answers[0]!, slow: answers[1]!, counted };
}

beforeAll(async () => {
  origin = await TestOrigin.start();
  origin.serve(PLAYLIST, `#EXTM3U\n${'#EXT-X-PART:x\n'.repeat(70)}`, {
    'cache-control': 'max-age=60',
    'content-type': 'application/vnd.apple.mpegurl',
  });
  origin.serve(SEGMENT, bytes(64 * 1024, 1), { 'cache-control': 'max-age=3600' });
  origin.serve(OTHER, '{"poster":true}', {
    'cache-control': 'max-age=60',
    'content-type': 'application/json',
  });
  origin.serve(BIG, bytes(4 * 1024 * 1024, 2), { 'cache-control': 'max-age=3600' });
  fast = await startEdge(origin.url);
  slow = await startEdge(origin.url, { EDGE_FAST_LANE: 'false' });
  for (const edge of [fast, slow]) {
    parsed.set(edge, 0);
    edge.edge.server.on('request', () => parsed.set(edge, parsed.get(edge)! + 1));
    for (const path of [PLAYLIST, SEGMENT, OTHER, BIG]) {
      await fetchRaw(`${edge.url}${path}`);
      await edge.settled();
      expect((await fetchRaw(`${edge.url}${path}`)).headers['x-cache']).toBe('HIT');
    }
  }
});

afterAll(async () => {
  await fast.close();
  await slow.close();
  await origin.close();
});

describe('the fast lane', () => {
  it.each([
    ['GET', PLAYLIST],
    ['HEAD', PLAYLIST],
    ['GET', SEGMENT],
    ['HEAD', SEGMENT],
    ['GET', OTHER],
  ])('answers %s %s as node:http does, byte for byte but Date', async (method, path) => {
    const parsedBefore = parsed.get(fast)!;
    const head = method === 'HEAD';
    const { fast: a, slow: b, counted } = await both([{ text: get(path, '', method), head }]);
    expect(parsed.get(fast)).toBe(parsedBefore);
    expect(comparable(a[0]!)).toEqual(comparable(b[0]!));
    expect(a[0]!.statusLine).toBe('HTTP/1.1 200 OK');
    expect(a[0]!.headerLines).toContain('x-cache: HIT');
    // The origin's Date is stored, so neither adds one (test/unit/response.test.ts: without).
    const date = /^date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/i;
    expect(a[0]!.headerLines.filter((line) => date.test(line))).toHaveLength(1);
    expect(counted[0]).toEqual(counted[1]);
    expect(counted[0]).toMatchObject({ requests: 1, hits: 1 });
    expect(counted[0]!.bytesServed ?? 0).toBe(head ? 0 : a[0]!.body.length);
  });

  it('answers several hits on one keep-alive connection', async () => {
    const parsedBefore = parsed.get(fast)!;
    const requests = [
      { text: get(PLAYLIST) },
      { text: get(PLAYLIST, '', 'HEAD'), head: true },
      { text: get(SEGMENT, 'Connection: keep-alive\r\nAccept-Encoding: gzip\r\n') },
      { text: get(OTHER) },
      { text: get(PLAYLIST, 'Origin: https://player.example\r\n') },
      { text: get(SEGMENT) },
    ];
    const { fast: a, slow: b, counted } = await both(requests);
    expect(parsed.get(fast)).toBe(parsedBefore);
    expect(a.map(comparable)).toEqual(b.map(comparable));
    expect(counted[0]).toEqual(counted[1]);
    expect(counted[0]).toMatchObject({ requests: 6, hits: 6 });
  });

  it.each([
    ['a playlist', PLAYLIST],
    ['a segment', SEGMENT],
  ])('answers a Chromium fetch of %s in the lane, as node:http does', async (_name, path) => {
    const parsedBefore = parsed.get(fast)!;
    const {
      fast: a,
      slow: b,
      counted,
    } = await both([
      { text: chromium(path) },
      { text: chromium(path, 'DNT: 1\r\nSec-GPC: 1\r\n') },
    ]);
    // node:http parsed neither request: both were the lane's.
    expect(parsed.get(fast)).toBe(parsedBefore);
    expect(a.map(comparable)).toEqual(b.map(comparable));
    expect(a[0]!.statusLine).toBe('HTTP/1.1 200 OK');
    expect(a[0]!.headerLines).toContain('x-cache: HIT');
    // CORS is the same for every Origin: nothing of the request's is echoed.
    expect(a[0]!.headerLines).toContain('access-control-allow-origin: *');
    expect(counted[0]).toEqual(counted[1]);
    expect(counted[0]).toMatchObject({ requests: 2, hits: 2 });
  });

  it('leaves a Chromium reload (Pragma and Cache-Control: no-cache) to node:http', async () => {
    const parsedBefore = parsed.get(fast)!;
    const reload = chromium(PLAYLIST, 'Pragma: no-cache\r\nCache-Control: no-cache\r\n');
    const { fast: a, slow: b, counted } = await both([{ text: reload }]);
    expect(parsed.get(fast)).toBe(parsedBefore + 1);
    expect(a.map(comparable)).toEqual(b.map(comparable));
    expect(counted[0]).toEqual(counted[1]);
  });

  it('selects the Vary variant a lane request names, as node:http does', async () => {
    const varied = '/live/ch2/720p/index.m3u8';
    origin.serve(varied, '#EXTM3U\n#EXT-X-VERSION:9\n', {
      'cache-control': 'max-age=60',
      'content-type': 'application/vnd.apple.mpegurl',
      vary: 'Sec-CH-UA-Mobile',
    });
    const steps: Array<{ mobile: string; cache: string; lane: boolean }> = [
      { mobile: '?0', cache: 'MISS', lane: false },
      { mobile: '?0', cache: 'HIT', lane: true },
      // Another variant: stored for ?0 only, so a miss, and node:http's.
      { mobile: '?1', cache: 'MISS', lane: false },
      { mobile: '?1', cache: 'HIT', lane: true },
      { mobile: '?0', cache: 'HIT', lane: true },
    ];
    const answers = new Map<RunningEdge, RawResponse[]>();
    for (const edge of [fast, slow]) {
      const responses: RawResponse[] = [];
      for (const step of steps) {
        const parsedBefore = parsed.get(edge)!;
        const client = await RawClient.open(edge.url);
        const response = await client.request(chromium(varied, '', step.mobile));
        client.close();
        await edge.settled();
        expect(response.headerLines).toContain(`x-cache: ${step.cache}`);
        if (edge === fast) expect(parsed.get(edge)).toBe(parsedBefore + (step.lane ? 0 : 1));
        responses.push(response);
      }
      answers.set(edge, responses);
    }
    expect(answers.get(fast)!.map(comparable)).toEqual(answers.get(slow)!.map(comparable));
  });

  it.each([
    ['a Cookie on a non-media object', get(OTHER, 'Cookie: id=1\r\n'), false],
    ['a Range', get(SEGMENT, 'Range: bytes=10-99\r\n'), false],
    ['an If-None-Match', get(PLAYLIST, 'If-None-Match: *\r\n'), false],
    ['request Cache-Control', get(OTHER, 'Cache-Control: max-age=0\r\n'), false],
    ['a POST', get(PLAYLIST, 'Content-Length: 3\r\n', 'POST') + 'abc', false],
    ['a miss', get('/vod/v1/720p/none.m4s'), false],
    ['an own endpoint', get('/healthz', '', 'HEAD'), true],
    ['a bad target', get('/a/../b.m3u8'), false],
  ])(
    'after a fast hit, hands the connection to node:http for %s, for good',
    async (_name, text, head) => {
      const parsedBefore = parsed.get(fast)!;
      const {
        fast: a,
        slow: b,
        counted,
      } = await both([{ text: get(PLAYLIST) }, { text, head }, { text: get(PLAYLIST) }]);
      // The first hit was the lane's; node:http parsed the second request and the third.
      expect(parsed.get(fast)).toBe(parsedBefore + 2);
      expect(a.map(comparable)).toEqual(b.map(comparable));
      expect(counted[0]).toEqual(counted[1]);
    },
  );

  it('leaves a head split over two TCP chunks to node:http', async () => {
    const parsedBefore = parsed.get(fast)!;
    const answers: RawResponse[] = [];
    for (const edge of [fast, slow]) {
      const client = await RawClient.open(edge.url);
      client.socket.setNoDelay(true);
      const text = get(PLAYLIST);
      client.send(text.slice(0, 20));
      await new Promise((resolve) => setTimeout(resolve, 50));
      client.send(text.slice(20));
      answers.push(await client.read());
      answers.push(await client.request(get(SEGMENT)));
      client.close();
    }
    expect(parsed.get(fast)).toBe(parsedBefore + 2);
    expect(comparable(answers[0]!)).toEqual(comparable(answers[2]!));
    expect(comparable(answers[1]!)).toEqual(comparable(answers[3]!));
  });

  it('leaves pipelined requests to node:http, in order', async () => {
    const parsedBefore = parsed.get(fast)!;
    const answers: RawResponse[][] = [];
    for (const edge of [fast, slow]) {
      const client = await RawClient.open(edge.url);
      client.send(get(PLAYLIST) + get(SEGMENT, '', 'HEAD') + get(OTHER));
      answers.push([await client.read(), await client.read(true), await client.read()]);
      client.close();
    }
    expect(parsed.get(fast)).toBe(parsedBefore + 3);
    expect(answers[0]!.map(comparable)).toEqual(answers[1]!.map(comparable));
  });

  it('counts a client that leaves mid-response as node:http does, and carries on', async () => {
    const counted: Array<Record<string, number>> = [];
    for (const edge of [fast, slow]) {
      const before = counters(edge);
      const client = await RawClient.open(edge.url);
      await new Promise<void>((resolve) => {
        client.socket.once('data', () => {
          client.close();
          resolve();
        });
        client.send(get(BIG));
      });
      counted.push(delta(before, counters(edge)));
      await waitFor('the connection to close', async () => (await connections(edge)) === 0, {
        timeoutMs: 5000,
        intervalMs: 10,
      });
      const next = await RawClient.open(edge.url);
      expect((await next.request(get(PLAYLIST))).statusLine).toBe('HTTP/1.1 200 OK');
      next.close();
    }
    expect(counted[0]).toEqual(counted[1]);
    expect(counted[0]).toMatchObject({ requests: 1, hits: 1, bytesServed: 4 * 1024 * 1024 });
  });
});

describe('what the lane leaves to node:http', () => {
  it('an expired object (STALE) and a stored non-200', async () => {
    const gone = '/vod/v1/gone.json';
    origin.route(gone, (_req, res) => {
      res.writeHead(404, { 'cache-control': 'max-age=60', 'content-length': '2' });
      res.end('no');
    });
    const edge = await startEdge(origin.url, { STALE_WHILE_REVALIDATE_SEC: '600' });
    let parsedHere = 0;
    edge.edge.server.on('request', () => parsedHere++);
    try {
      for (const path of [OTHER, gone]) {
        await fetchRaw(`${edge.url}${path}`);
        await edge.settled();
      }
      const client = await RawClient.open(edge.url);
      const notFound = await client.request(get(gone));
      expect(notFound.statusLine).toBe('HTTP/1.1 404 Not Found');
      expect(notFound.headerLines).toContain('x-cache: HIT');
      expect(parsedHere).toBe(3);
      client.close();
      edge.advance(61_000);
      const again = await RawClient.open(edge.url);
      expect((await again.request(get(OTHER))).headerLines).toContain('x-cache: STALE');
      expect(parsedHere).toBe(4);
      again.close();
    } finally {
      await edge.close();
    }
  });
});

describe('closing an edge with the fast lane', () => {
  it('ends idle fast connections at once and stops', async () => {
    const edge = await startEdge(origin.url);
    await fetchRaw(`${edge.url}${PLAYLIST}`);
    await edge.settled();
    const client = await RawClient.open(edge.url);
    expect((await client.request(get(PLAYLIST))).headerLines).toContain('x-cache: HIT');
    const started = Date.now();
    await edge.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await waitFor('the client to see the close', () => client.closed, { timeoutMs: 2000 });
  });

  it('destroys a connection whose client stopped reading, within the shutdown grace', async () => {
    const edge = await startEdge(origin.url, { SHUTDOWN_TIMEOUT_MS: '1000' });
    await fetchRaw(`${edge.url}${BIG}`);
    await edge.settled();
    const client = await RawClient.open(edge.url);
    client.socket.pause();
    // Each answer is 4 MiB: a few fill the loopback buffers and leave one pending at the edge.
    for (let i = 0; i < 4; i++) {
      client.send(get(BIG));
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    const started = Date.now();
    await edge.close();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
