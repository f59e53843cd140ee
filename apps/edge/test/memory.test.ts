import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { spawnService, waitFor } from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes, TestOrigin } from './support/test-origin.js';

const MiB = 1024 * 1024;
const OBJECT_BYTES = 6 * MiB;
const FILLS = 60;
const CACHE_BYTES = 32 * MiB;
const INFLIGHT_BYTES = 32 * MiB;

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Ask for `url`, and hang up as soon as the first body bytes arrive. */
function abandon(url: string): Promise<void> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', () => resolve());
    req.end();
  });
}

describe('in-flight memory', () => {
  let origin: TestOrigin;
  beforeAll(async () => {
    origin = await TestOrigin.start();
  });
  afterAll(async () => {
    await origin.close();
  });

  it('60 abandoned 6 MiB fills from a slow origin stay within the configured bounds', async () => {
    const body = bytes(OBJECT_BYTES, 5);
    let finished = 0;
    for (let i = 0; i < FILLS; i++) {
      origin.route(`/vod/big/seg_${i}.m4s`, (_req, res) => {
        res.writeHead(200, {
          'content-length': String(body.length),
          'cache-control': 'public, max-age=31536000, immutable',
        });
        let offset = 0;
        // 256 KiB every 20 ms: about half a second per object, all 60 at once.
        const timer = setInterval(() => {
          if (res.destroyed) return;
          res.write(body.subarray(offset, offset + 256 * 1024));
          offset += 256 * 1024;
          if (offset >= body.length) {
            clearInterval(timer);
            res.end();
          }
        }, 50);
        res.on('close', () => {
          clearInterval(timer);
          finished++;
        });
      });
    }
    const edge = await spawnService({
      app: 'edge',
      timeoutMs: 60_000,
      env: {
        ORIGIN_URL: origin.url,
        LOG_LEVEL: 'warn',
        CACHE_MEMORY_BYTES: String(CACHE_BYTES),
        MAX_OBJECT_BYTES: String(8 * MiB),
        INFLIGHT_MAX_BYTES: String(INFLIGHT_BYTES),
        PREFETCH_SEGMENTS: '0',
        // One process, so that its RSS is the whole edge's.
        EDGE_WORKERS: '1',
      },
    });
    try {
      const pid = edge.process.pid!;
      const baseline = rssBytes(pid);
      let peak = baseline;
      let peakInflightBytes = 0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssBytes(pid));
        void fetch(`${edge.url}/stats`)
          .then((response) => response.json() as Promise<{ inflightBytes: number }>)
          .then((stats) => (peakInflightBytes = Math.max(peakInflightBytes, stats.inflightBytes)))
          .catch(() => undefined);
      }, 50);
      await Promise.all(
        Array.from({ length: FILLS }, (_, i) => abandon(`${edge.url}/vod/big/seg_${i}.m4s`)),
      );
      await waitFor('every origin response to end', () => finished === FILLS, {
        timeoutMs: 30_000,
        intervalMs: 20,
      });
      type Stats = {
        inflightFills: number;
        inflightBytes: number;
        abandonedFillsStopped: number;
        cache: { memory: { sizeBytes: number } };
      };
      let stats: Stats | undefined;
      await waitFor(
        'the edge to finish every fill',
        async () => {
          stats = (await (await fetch(`${edge.url}/stats`)).json()) as Stats;
          return stats.inflightFills === 0;
        },
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      clearInterval(sampler);
      // What the edge keeps never passes the bound (one 256 KiB chunk of overshoot at most)...
      expect(peakInflightBytes).toBeLessThanOrEqual(INFLIGHT_BYTES + 256 * 1024);
      // ...and RSS grows by at most the in-flight bound plus what the cache holds, plus slack
      // for socket buffers and the garbage collector's lag (unbounded, it grew ~215 MiB).
      const growthMiB = (peak - baseline) / MiB;
      expect(growthMiB).toBeLessThan((INFLIGHT_BYTES + CACHE_BYTES) / MiB + 96);
      expect(stats!.abandonedFillsStopped).toBeGreaterThan(0);
      expect(stats!.inflightBytes).toBe(0);
      expect(stats!.cache.memory.sizeBytes).toBeLessThanOrEqual(CACHE_BYTES);
    } finally {
      await edge.kill();
    }
  }, 180_000);
});
