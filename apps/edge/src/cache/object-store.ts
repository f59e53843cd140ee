import { LRUCache } from 'lru-cache';
import type { CachedObject } from './cached-object.js';
import type { HttpHeaders } from '../http/headers.js';
import type { DiskTier, DiskTierStats } from './disk-tier.js';
import { variantKey } from './vary.js';

export interface ObjectStoreStats {
  readonly memory: { entries: number; sizeBytes: number; maxBytes: number; evictions: number };
  readonly disk: DiskTierStats | null;
}

/**
 * The two cache tiers. Memory is an LRU bounded in bytes (body + headers + bookkeeping); the
 * optional disk tier gets every stored object (write-through, in the background) and, should
 * a write have been skipped, whatever memory evicts. A disk hit is promoted back to memory.
 */
export class ObjectStore {
  private readonly memory: LRUCache<string, CachedObject>;
  private readonly diskReads = new Map<string, Promise<CachedObject | undefined>>();
  private evictions = 0;
  /** Primary key → the Vary field names of what is stored for it (see vary.ts). */
  private readonly varyIndex = new LRUCache<string, readonly string[]>({ max: 100_000 });

  constructor(
    private readonly options: {
      readonly memoryBytes: number;
      readonly maxObjectBytes: number;
      readonly disk: DiskTier | undefined;
    },
  ) {
    this.memory = new LRUCache<string, CachedObject>({
      maxSize: options.memoryBytes,
      maxEntrySize: Math.min(options.memoryBytes, options.maxObjectBytes + 64 * 1024),
      sizeCalculation: (object) => object.chargeBytes,
      dispose: (object, key, reason) => {
        if (reason !== 'evict') return;
        this.evictions++;
        const disk = this.options.disk;
        if (disk !== undefined && !disk.has(key)) disk.put(object);
      },
    });
  }

  /** The key a request's stored response lives under (the variant its headers select). */
  lookupKey(key: string, headers: HttpHeaders): string {
    const names = this.varyIndex.get(key);
    return names === undefined ? key : variantKey(key, names, headers);
  }

  /** The memory tier only: synchronous, for the hit path. Marks the object recently used. */
  memoryGet(key: string): CachedObject | undefined {
    return this.memory.get(key);
  }

  /** In either tier, without touching recency. */
  has(key: string): boolean {
    return this.memory.has(key) || (this.options.disk?.has(key) ?? false);
  }

  get hasDisk(): boolean {
    return this.options.disk !== undefined;
  }

  /** Disk lookup (after a memory miss); concurrent reads of one key share one file read. */
  diskGet(key: string): Promise<CachedObject | undefined> {
    const disk = this.options.disk;
    if (disk === undefined || !disk.has(key)) return Promise.resolve(undefined);
    let read = this.diskReads.get(key);
    if (read === undefined) {
      read = disk.get(key).then((object) => {
        this.diskReads.delete(key);
        // Promote, unless a fresher object was stored while the file was read.
        if (object !== undefined && this.memory.peek(key) === undefined) {
          this.memory.set(key, object);
        }
        return object;
      });
      this.diskReads.set(key, read);
    }
    return read;
  }

  /** Store a newly fetched object in memory and (in the background) on disk. */
  set(
    object: CachedObject,
    options: {
      writeDisk: boolean;
      /** With the response's Vary names: the index of variants is updated. */
      primaryKey?: string;
      varyNames?: readonly string[];
    } = { writeDisk: true },
  ): void {
    if (options.primaryKey !== undefined) {
      if (options.varyNames === undefined || options.varyNames.length === 0) {
        this.varyIndex.delete(options.primaryKey);
      } else this.varyIndex.set(options.primaryKey, options.varyNames);
    }
    this.memory.set(object.meta.key, object);
    if (options.writeDisk) this.options.disk?.put(object);
  }

  delete(key: string): void {
    this.memory.delete(key);
    this.options.disk?.delete(key);
  }

  stats(): ObjectStoreStats {
    return {
      memory: {
        entries: this.memory.size,
        sizeBytes: this.memory.calculatedSize,
        maxBytes: this.options.memoryBytes,
        evictions: this.evictions,
      },
      disk: this.options.disk?.stats() ?? null,
    };
  }

  async close(): Promise<void> {
    await this.options.disk?.close();
  }
}
