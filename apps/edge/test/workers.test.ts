import { spawnService, waitFor } from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
