import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hashFile, type FileDigest } from '../integrity/hash.js';

const COMPLETE_SEGMENT = /^seg_\d{1,10}\.m4s$/;

/**
 * Hashes a VOD job's segments while ffmpeg is still encoding, so that publishing only signs.
 * ffmpeg writes each segment as `<name>.tmp` and renames it when complete (`temp_file`), so a
 * `seg_<n>.m4s` that exists is final.
 */
export class SegmentHasher {
  private readonly digests = new Map<string, FileDigest>();
  private timer: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly dirs: readonly string[],
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.scanning ??= this.scan().finally(() => {
        this.scanning = null;
      });
    }, this.intervalMs);
  }

  /** Stop scanning; idempotent. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.scanning;
  }

  /** The digest of a segment: from the scan if the file is unchanged since, else hashed now. */
  async digest(path: string): Promise<FileDigest> {
    const known = this.digests.get(path);
    if (known && (await stat(path)).size === known.sizeBytes) return known;
    return hashFile(path);
  }

  private async scan(): Promise<void> {
    for (const dir of this.dirs) {
      const files = await readdir(dir).catch(() => [] as string[]);
      for (const file of files) {
        if (this.stopped) return;
        const path = join(dir, file);
        if (!COMPLETE_SEGMENT.test(file) || this.digests.has(path)) continue;
        try {
          this.digests.set(path, await hashFile(path));
        } catch {
          // Gone (a cancelled job being removed): nothing to hash.
        }
      }
    }
  }
}
