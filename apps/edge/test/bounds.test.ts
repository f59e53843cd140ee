import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, waitFor, type TempDir } from '@coral-cdn/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { diskUsageBytes } from '../src/cache/disk-tier.js';
import { fetchRaw, startEdge, type RunningEdge } from './support/harness.js';
import { bytes, TestOrigin } from './support/test-origin.js';

const MiB = 1024 * 1024;
let origin: TestOrigin;
let edge: RunningEdge | undefined;
let dir: TempDir | undefined;

afterEach(async () => {
  await edge?.close();
  await origin.close();
  dir?.remove();
  edge = undefined;
  dir = undefined;
});

function serveSegments(count: number, sizeBytes: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const path = `/vod/big/720p/seg_${i}.m4s`;
    origin.serve(path, bytes(sizeBytes, i + 1), { 'cache-control': 'public, max-age=31536000' });
    return path;
  });
}

describe('memory tier', () => {
  it('stays within its byte bound while twice its size of distinct objects passes through', async () => {
    origin = await TestOrigin.start();
    edge = await startEdge(origin.url, { CACHE_MEMORY_BYTES: '4MiB', MAX_OBJECT_BYTES: '1MiB' });
    const paths = serveSegments(32, 256 * 1024); // 8 MiB
    const maxBytes = 4 * MiB;
    for (let i = 0; i < paths.length; i += 4) {
      const batch = paths.slice(i, i + 4);
      const responses = await Promise.all(batch.map((path) => fetchRaw(`${edge!.url}${path}`)));
      responses.forEach((response, j) => {
        expect(response.body.equals(bytes(256 * 1024, i + j + 1))).toBe(true);
      });
      const memory = edge.edge.stats().cache.memory;
      expect(memory.sizeBytes).toBeLessThanOrEqual(maxBytes);
    }
    const memory = edge.edge.stats().cache.memory;
    expect(memory.entries).toBeGreaterThanOrEqual(12);
    expect(memory.entries).toBeLessThanOrEqual(16);
    expect(memory.evictions).toBe(32 - memory.entries);
    // The most recent objects are hits, the oldest went back to the origin.
    expect((await fetchRaw(`${edge.url}${paths[31]}`)).headers['x-cache']).toBe('HIT');
    expect((await fetchRaw(`${edge.url}${paths[0]}`)).headers['x-cache']).toBe('MISS');
    expect(origin.count(paths[0]!)).toBe(2);
  });

  it('streams an object larger than MAX_OBJECT_BYTES without caching it', async () => {
    origin = await TestOrigin.start();
    edge = await startEdge(origin.url, { CACHE_MEMORY_BYTES: '4MiB', MAX_OBJECT_BYTES: '1MiB' });
    const [path] = serveSegments(1, 2 * MiB);
    for (let i = 0; i < 2; i++) {
      const response = await fetchRaw(`${edge.url}${path}`);
      expect(response.body.equals(bytes(2 * MiB, 1))).toBe(true);
      expect(response.headers['x-cache']).toBe('MISS');
    }
    expect(origin.count(path!)).toBe(2);
    expect(edge.edge.stats().cache.memory.sizeBytes).toBe(0);
    // A range of it is passed through to the origin with the Range header.
    const range = await fetchRaw(`${edge.url}${path}`, { headers: { range: 'bytes=10-19' } });
    expect(range.status).toBe(206);
    expect(range.body.equals(bytes(2 * MiB, 1).subarray(10, 20))).toBe(true);
  });
});

describe('disk tier', () => {
  async function writesLanded(expected: number): Promise<void> {
    await waitFor(`${expected} disk writes`, () => {
      const disk = edge!.edge.stats().cache.disk!;
      return disk.writes + disk.writesSkipped + disk.writeErrors >= expected;
    });
  }

  it('holds what memory evicts within its own bound and survives a restart', async () => {
    origin = await TestOrigin.start();
    dir = makeTempDir('coral-edge-disk-');
    const overrides = {
      CACHE_MEMORY_BYTES: '1MiB',
      MAX_OBJECT_BYTES: '256KiB',
      CACHE_DISK_DIR: dir.path,
      CACHE_DISK_BYTES: '3MiB',
    };
    edge = await startEdge(origin.url, overrides);
    const paths = serveSegments(30, 200_000); // 6 MB: twice the disk bound
    for (const path of paths) await fetchRaw(`${edge.url}${path}`);
    await writesLanded(30);
    const disk = edge.edge.stats().cache.disk!;
    expect(disk.sizeBytes).toBeLessThanOrEqual(3 * MiB);
    expect(await diskUsageBytes(dir.path)).toBe(disk.sizeBytes);
    expect(disk.entries).toBeGreaterThanOrEqual(12);

    // Evicted from memory (1 MiB holds ~5), still on disk: a hit without the origin.
    const fromDisk = await fetchRaw(`${edge.url}${paths[20]}`);
    expect(fromDisk.headers['x-cache']).toBe('HIT');
    expect(fromDisk.body.equals(bytes(200_000, 21))).toBe(true);
    expect(edge.edge.stats().requests.diskHits).toBe(1);
    expect(origin.count(paths[20]!)).toBe(1);

    await edge.close();
    edge = await startEdge(origin.url, overrides);
    expect(edge.edge.stats().cache.disk!.entries).toBe(disk.entries);
    const afterRestart = await fetchRaw(`${edge.url}${paths[29]}`);
    expect(afterRestart.headers['x-cache']).toBe('HIT');
    expect(afterRestart.body.equals(bytes(200_000, 30))).toBe(true);
    expect(origin.count(paths[29]!)).toBe(1);
  });

  it('drops a corrupt file and refetches the object', async () => {
    origin = await TestOrigin.start();
    dir = makeTempDir('coral-edge-disk-');
    const overrides = {
      CACHE_MEMORY_BYTES: '1MiB',
      MAX_OBJECT_BYTES: '256KiB',
      CACHE_DISK_DIR: dir.path,
      CACHE_DISK_BYTES: '8MiB',
    };
    edge = await startEdge(origin.url, overrides);
    const paths = serveSegments(2, 100_000);
    for (const path of paths) await fetchRaw(`${edge.url}${path}`);
    await writesLanded(2);
    await edge.close();
    // Truncate every object file: the index rebuild must refuse them.
    const { readdirSync } = await import('node:fs');
    for (const shard of readdirSync(dir.path)) {
      for (const name of readdirSync(join(dir.path, shard))) {
        writeFileSync(join(dir.path, shard, name), 'CRL1garbage');
      }
    }
    edge = await startEdge(origin.url, overrides);
    expect(edge.edge.stats().cache.disk!.entries).toBe(0);
    const response = await fetchRaw(`${edge.url}${paths[0]}`);
    expect(response.headers['x-cache']).toBe('MISS');
    expect(response.body.equals(bytes(100_000, 1))).toBe(true);
    expect(await diskUsageBytes(dir.path)).toBeLessThanOrEqual(100_000 + 4096);
  });
});
