import { createHash } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@coral-cdn/server-kit';
import { LRUCache } from 'lru-cache';
import type { HeaderList } from '../http/headers.js';
import { CachedObject, type ObjectMeta } from './cached-object.js';

/**
 * The disk tier: one file per object (`CRL1`, uint32 meta length, meta JSON, body), bounded in
 * file bytes by an LRU index that unlinks what it evicts. Every write goes to a unique file
 * name via a temp file and a rename, so a crash leaves either the old or the new object and
 * an index record always owns its file. The index is rebuilt from the files at start-up.
 */

const MAGIC = Buffer.from('CRL1');
const PREFIX_BYTES = 8;
/** Writes queued beyond this are skipped: the disk tier must not hold memory hostage. */
const MAX_PENDING_WRITE_BYTES = 64 * 1024 * 1024;

interface DiskRecord {
  readonly file: string;
  readonly fileBytes: number;
  readonly storedAtMs: number;
}

export interface DiskTierOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly maxObjectBytes: number;
  readonly edgeHeaders: HeaderList;
  readonly logger: Logger;
}

export interface DiskTierStats {
  readonly entries: number;
  readonly sizeBytes: number;
  readonly maxBytes: number;
  readonly writes: number;
  readonly writesSkipped: number;
  readonly writeErrors: number;
  readonly readErrors: number;
}

function isMeta(value: unknown): value is ObjectMeta {
  if (typeof value !== 'object' || value === null) return false;
  const meta = value as Record<string, unknown>;
  return (
    typeof meta.key === 'string' &&
    Array.isArray(meta.headers) &&
    meta.headers.every((item) => typeof item === 'string') &&
    meta.headers.length % 2 === 0 &&
    ['storedAtMs', 'initialAgeSec', 'freshnessSec', 'staleWhileRevalidateSec'].every(
      (field) => typeof meta[field] === 'number',
    ) &&
    typeof meta.staleIfErrorSec === 'number' &&
    typeof meta.sizeBytes === 'number' &&
    (meta.statusCode === undefined || typeof meta.statusCode === 'number')
  );
}

export class DiskTier {
  private readonly index: LRUCache<string, DiskRecord>;
  private readonly pending = new Set<Promise<void>>();
  private pendingBytes = 0;
  private sequence = 0;
  private closed = false;
  private counters = { writes: 0, writesSkipped: 0, writeErrors: 0, readErrors: 0 };

  private constructor(private readonly options: DiskTierOptions) {
    this.index = new LRUCache<string, DiskRecord>({
      maxSize: options.maxBytes,
      maxEntrySize: options.maxBytes,
      sizeCalculation: (record) => Math.max(1, record.fileBytes),
      // Each record owns a unique file, so whatever leaves the index takes its file along.
      dispose: (record) => this.removeFile(record.file),
    });
  }

  /** Open (creating) the directory and rebuild the index from the files in it. */
  static async open(options: DiskTierOptions): Promise<DiskTier> {
    const tier = new DiskTier(options);
    await mkdir(options.dir, { recursive: true });
    await tier.loadIndex();
    return tier;
  }

  private async loadIndex(): Promise<void> {
    const found: Array<{ key: string; record: DiskRecord; mtimeMs: number }> = [];
    for (const shard of await readdir(this.options.dir, { withFileTypes: true })) {
      if (!shard.isDirectory() || !/^[0-9a-f]{2}$/.test(shard.name)) continue;
      const shardDir = join(this.options.dir, shard.name);
      for (const name of await readdir(shardDir)) {
        const file = join(shardDir, name);
        if (!name.endsWith('.obj')) {
          await rm(file, { force: true, recursive: true }); // stale temp files from a crash
          continue;
        }
        const loaded = await this.readHeader(file);
        if (loaded === undefined) {
          await rm(file, { force: true });
          continue;
        }
        found.push(loaded);
      }
    }
    // Oldest first, so the most recently written end up most recently used; for a key found
    // twice (a crash between rename and unlink) the newest wins.
    found.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const { key, record } of found) {
      const existing = this.index.peek(key);
      if (existing !== undefined && existing.storedAtMs > record.storedAtMs) {
        this.removeFile(record.file);
        continue;
      }
      this.index.set(key, record);
    }
    this.options.logger.info('disk tier loaded', {
      dir: this.options.dir,
      entries: this.index.size,
      sizeBytes: this.index.calculatedSize,
    });
  }

  private async readHeader(
    file: string,
  ): Promise<{ key: string; record: DiskRecord; mtimeMs: number } | undefined> {
    try {
      const handle = await open(file, 'r');
      try {
        const info = await handle.stat();
        const prefix = Buffer.alloc(PREFIX_BYTES);
        await handle.read(prefix, 0, PREFIX_BYTES, 0);
        if (!prefix.subarray(0, 4).equals(MAGIC)) return undefined;
        const metaBytes = prefix.readUInt32BE(4);
        if (metaBytes > 1024 * 1024 || PREFIX_BYTES + metaBytes > info.size) return undefined;
        const metaBuffer = Buffer.alloc(metaBytes);
        await handle.read(metaBuffer, 0, metaBytes, PREFIX_BYTES);
        const meta: unknown = JSON.parse(metaBuffer.toString('utf8'));
        if (!isMeta(meta) || PREFIX_BYTES + metaBytes + meta.sizeBytes !== info.size) {
          return undefined;
        }
        return {
          key: meta.key,
          record: { file, fileBytes: info.size, storedAtMs: meta.storedAtMs },
          mtimeMs: info.mtimeMs,
        };
      } finally {
        await handle.close();
      }
    } catch {
      return undefined;
    }
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  /** Read an object; a missing or corrupt file is dropped from the index and reads as a miss. */
  async get(key: string): Promise<CachedObject | undefined> {
    const record = this.index.get(key);
    if (record === undefined) return undefined;
    try {
      const data = await readFile(record.file);
      if (data.length < PREFIX_BYTES || !data.subarray(0, 4).equals(MAGIC)) {
        throw new Error('bad magic');
      }
      const metaBytes = data.readUInt32BE(4);
      const meta: unknown = JSON.parse(
        data.subarray(PREFIX_BYTES, PREFIX_BYTES + metaBytes).toString('utf8'),
      );
      const body = data.subarray(PREFIX_BYTES + metaBytes);
      if (!isMeta(meta) || meta.key !== key || meta.sizeBytes !== body.length) {
        throw new Error('meta does not match the file');
      }
      return new CachedObject(meta, body, this.options.edgeHeaders);
    } catch (error) {
      this.counters.readErrors++;
      this.options.logger.warn('disk tier read failed; dropping the object', { key, err: error });
      if (this.index.peek(key) === record) this.index.delete(key);
      return undefined;
    }
  }

  /** Store in the background; skipped when too much is already queued or the tier is closed. */
  put(object: CachedObject): void {
    const size = object.sizeBytes;
    if (this.closed || size > this.options.maxObjectBytes || size > this.options.maxBytes) return;
    if (this.pendingBytes + size > MAX_PENDING_WRITE_BYTES) {
      this.counters.writesSkipped++;
      return;
    }
    this.pendingBytes += size;
    const write = this.write(object).finally(() => {
      this.pendingBytes -= size;
      this.pending.delete(write);
    });
    this.pending.add(write);
  }

  private async write(object: CachedObject): Promise<void> {
    const hash = createHash('sha256').update(object.meta.key).digest('hex');
    const shardDir = join(this.options.dir, hash.slice(0, 2));
    const file = join(shardDir, `${hash}-${(this.sequence++).toString(36)}.obj`);
    const temp = `${file}.tmp`;
    const metaBuffer = Buffer.from(JSON.stringify(object.meta));
    const prefix = Buffer.alloc(PREFIX_BYTES);
    MAGIC.copy(prefix, 0);
    prefix.writeUInt32BE(metaBuffer.length, 4);
    const fileBytes = PREFIX_BYTES + metaBuffer.length + object.body.length;
    try {
      await mkdir(shardDir, { recursive: true });
      const handle = await open(temp, 'w');
      try {
        const { bytesWritten } = await handle.writev([prefix, metaBuffer, object.body]);
        if (bytesWritten !== fileBytes) throw new Error(`short write: ${bytesWritten}`);
      } finally {
        await handle.close();
      }
      await rename(temp, file);
      if (this.closed) return;
      const existing = this.index.peek(object.meta.key);
      if (existing !== undefined && existing.storedAtMs > object.meta.storedAtMs) {
        this.removeFile(file); // a newer copy landed first
        return;
      }
      this.index.set(object.meta.key, {
        file,
        fileBytes,
        storedAtMs: object.meta.storedAtMs,
      });
      if (!this.index.has(object.meta.key)) this.removeFile(file); // larger than the bound
      this.counters.writes++;
    } catch (error) {
      this.counters.writeErrors++;
      this.options.logger.warn('disk tier write failed', { key: object.meta.key, err: error });
      await rm(temp, { force: true });
    }
  }

  delete(key: string): void {
    this.index.delete(key);
  }

  private removeFile(file: string): void {
    unlink(file).catch(() => undefined);
  }

  stats(): DiskTierStats {
    return {
      entries: this.index.size,
      sizeBytes: this.index.calculatedSize,
      maxBytes: this.options.maxBytes,
      ...this.counters,
    };
  }

  /** Let queued writes land, then stop writing. Idempotent. */
  async close(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    this.closed = true;
  }
}

/** Sum of the object files' sizes under `dir` (what a disk bound must hold). */
export async function diskUsageBytes(dir: string): Promise<number> {
  let total = 0;
  for (const shard of await readdir(dir, { withFileTypes: true })) {
    if (!shard.isDirectory()) continue;
    for (const name of await readdir(join(dir, shard.name))) {
      if (!name.endsWith('.obj')) continue;
      try {
        total += (await stat(join(dir, shard.name, name))).size;
      } catch {
        // unlinked meanwhile
      }
    }
  }
  return total;
}
