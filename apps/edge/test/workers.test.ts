import { spawnService, waitFor } from '@coral-cdn/test-support';
import { createLogger } from '@coral-cdn/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownerOf } from '../src/cluster/shard.js';
import { edgeConfig } from '../src/config.js';
import { createEdge } from '../src/edge.js';
import { fetchRaw } from './support/harness.js';
import { bytes, etagOf, Gate, TestOrigin } from './support/test-origin.js';

let origin: TestOrigin;
beforeAll(async () => {
  origin = await TestOrigin.start();
});
afterAll(async () => {
  await origin.close();
});

describe('worker processes (EDGE_WORKERS=2)', () => {
  it('concurrent misses arriving at every worker make one origin request; SIGTERM stops all', async () => {
    const gate = new Gate();
    const segment = bytes(256 * 1024, 11);
    const paths = Array.from({ length: 4 }, (_, i) => `/vod/w/720p/seg_${i}.m4s`);
    for (const path of paths) {
      origin.route(path, async (_req, res) => {
        await gate.opened;
        res.writeHead(200, {
          'content-length': String(segment.length),
          'cache-control': 'public, max-age=31536000, immutable',
          etag: etagOf(segment),
        });
        res.end(segment);
      });
    }
    const edge = await spawnService({
      app: 'edge',
      timeoutMs: 60_000,
      env: { ORIGIN_URL: origin.url, EDGE_WORKERS: '2', LOG_LEVEL: 'info' },
    });
    try {
      await waitFor(
        'both workers to know each other',
        () => {
          return edge.output().split('edge workers connected').length - 1 >= 2;
        },
        { timeoutMs: 20_000, intervalMs: 20 },
      );
      // 40 requests on 40 connections: the primary hands connections to both workers.
      const answers = Promise.all(
        Array.from({ length: 40 }, (_, i) => fetchRaw(`${edge.url}${paths[i % paths.length]!}`)),
      );
      await waitFor(
        'every path to be asked once',
        () => paths.every((p) => origin.count(p) === 1),
        {
          timeoutMs: 20_000,
          intervalMs: 10,
        },
      );
      gate.open();
      for (const answer of await answers) {
        expect(answer.status).toBe(200);
        expect(answer.body.equals(segment)).toBe(true);
      }
      for (const path of paths) expect(origin.count(path)).toBe(1);
      // Both workers serve: the primary hands new connections round-robin (a connection each
      // here: fetch's keep-alive would ask one worker every time).
      const workersSeen = new Set<string>();
      for (let i = 0; i < 20 && workersSeen.size < 2; i++) {
        const stats = JSON.parse((await fetchRaw(`${edge.url}/stats`)).body.toString('utf8')) as {
          worker?: number;
        };
        workersSeen.add(String(stats.worker));
      }
      expect(workersSeen.size).toBe(2);
      expect(await edge.stop()).toBe(0);
    } finally {
      await edge.kill();
    }
  });
});

describe("a 304 from the origin reaches every worker's copy", () => {
  /** Two in-process workers of one edge, wired as the cluster primary wires them. */
  async function startWorkers(originUrl: string) {
    const startMs = Date.now();
    let offsetMs = 0;
    const logger = createLogger({ service: 'edge', level: 'silent' });
    const config = edgeConfig({ ORIGIN_URL: originUrl, EDGE_REGION: 'test-region' });
    const edges = await Promise.all(
      [0, 1].map((index) =>
        createEdge(config, {
          logger,
          worker: { index, count: 2 },
          now: () => startMs + offsetMs,
        }),
      ),
    );
    const urls = await Promise.all(edges.map((edge) => edge.listen(0)));
    const internal = await Promise.all(edges.map((edge) => edge.listenInternal()));
    for (const edge of edges) edge.setPeers(internal);
    return {
      urls,
      advance: (ms: number) => {
        offsetMs += ms;
      },
      close: () => Promise.all(edges.map((edge) => edge.close())),
    };
  }

  /** A path (not HLS media) whose cache key worker 1 owns: worker 0 fills through it. */
  function pathOwnedByWorker1(prefix: string): string {
    for (let i = 0; ; i++) {
      const path = `/${prefix}-${i}.json`;
      if (ownerOf(path, 2) === 1) return path;
    }
  }

  /** 200 with X-Test-Header: `value()`; a 304 for its ETag carries the header's new value. */
  function serveUpdating(path: string, value: () => string): void {
    const body = Buffer.from('{"ok":true}');
    const etag = etagOf(body);
    origin.route(path, (req, res) => {
      const headers = { etag, 'cache-control': 'max-age=10', 'x-test-header': value() };
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      res.writeHead(200, {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(body.length),
      });
      res.end(body);
    });
  }

  it('a worker revalidating through the owner gets the header update (RFC 9111 §4.3.4)', async () => {
    const path = pathOwnedByWorker1('refresh-via-peer');
    let value = 'a';
    serveUpdating(path, () => value);
    const workers = await startWorkers(origin.url);
    try {
      const [peer, owner] = workers.urls as [string, string];
      expect((await fetchRaw(`${peer}${path}`)).headers['x-test-header']).toBe('a');
      workers.advance(60_000);
      value = 'b';
      // Worker 0's copy expired: it revalidates through worker 1, which asks the origin.
      const refreshed = await fetchRaw(`${peer}${path}`);
      expect(refreshed.status).toBe(200);
      expect(refreshed.headers['x-test-header']).toBe('b');
      expect(origin.count(path)).toBe(2);
      for (const url of [peer, owner]) {
        const again = await fetchRaw(`${url}${path}`);
        expect(again.headers['x-cache']).toBe('HIT');
        expect(again.headers['x-test-header']).toBe('b');
        // The owner's own headers in its 304 (CORS, region) are not merged into the copy.
        expect(again.headers['access-control-allow-origin']).toBe('*');
        expect(again.headers['x-coral-edge']).toBe('test-region');
      }
      expect(origin.count(path)).toBe(2);
    } finally {
      await workers.close();
    }
  });

  it('a worker whose copy expires after the owner refreshed gets the update from the owner', async () => {
    const path = pathOwnedByWorker1('refresh-at-owner');
    let value = 'a';
    serveUpdating(path, () => value);
    const workers = await startWorkers(origin.url);
    try {
      const [peer, owner] = workers.urls as [string, string];
      expect((await fetchRaw(`${peer}${path}`)).headers['x-test-header']).toBe('a');
      workers.advance(60_000);
      value = 'b';
      expect((await fetchRaw(`${owner}${path}`)).headers['x-test-header']).toBe('b');
      // The owner's copy is fresh again: it answers worker 0's revalidation with a 304.
      const refreshed = await fetchRaw(`${peer}${path}`);
      expect(refreshed.status).toBe(200);
      expect(refreshed.headers['x-test-header']).toBe('b');
      expect(origin.count(path)).toBe(2);
      expect((await fetchRaw(`${peer}${path}`)).headers['x-test-header']).toBe('b');
    } finally {
      await workers.close();
    }
  });
});
