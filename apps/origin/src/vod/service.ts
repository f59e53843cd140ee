import type { webcrypto } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from '@coral-cdn/server-kit';
import type { OriginConfig } from '../config.js';
import { AbortedError, BusyError, conflict, FfmpegError, notFound } from '../errors.js';
import type { FfmpegBinaries } from '../ffmpeg/binaries.js';
import { killStaleProcess, writePidFile } from '../ffmpeg/pidfile.js';
import { probeFile, type MediaInfo } from '../ffmpeg/probe.js';
import { describeExit, startFfmpeg } from '../ffmpeg/run.js';
import { isInside, randomToken, removeTree, unlinkQuietly, writeFileAtomic } from '../fs-util.js';
import type { OriginMetrics } from '../metrics.js';
import { planVodCommand } from '../packaging/command.js';
import { assertStreamId, type DataPaths } from '../paths.js';
import { finalizeVodOutput, OutputError, type PublishedRendition } from './publish.js';
import { SegmentHasher } from './segment-hasher.js';

export type VideoStatus = 'queued' | 'probing' | 'packaging' | 'ready' | 'failed' | 'cancelled';
const IN_FLIGHT: ReadonlySet<VideoStatus> = new Set(['queued', 'probing', 'packaging']);

export interface VideoRecord {
  id: string;
  title?: string;
  status: VideoStatus;
  /** 0..1: ffmpeg's progress through the source, then 1 when published. */
  progress: number;
  error?: string;
  errorCode?: string;
  sourceSizeBytes: number;
  media?: MediaInfo;
  renditions?: PublishedRendition[];
  durationSec?: number;
  timings?: { probeMs?: number; ffmpegMs?: number; publishMs?: number; packagingMs?: number };
  createdAt: string;
  updatedAt: string;
}

/** Written into a published folder, so that a crash between publishing and recording it heals. */
const META_FILE = 'meta.json';

type AbortReason = 'cancel' | 'shutdown' | 'delete';

/** What a client refused for a full queue is told to wait: about one short job. */
const QUEUE_RETRY_AFTER_SEC = 30;

export interface VideoServiceOptions {
  readonly paths: DataPaths;
  readonly binaries: FfmpegBinaries;
  readonly config: Pick<
    OriginConfig,
    'JOB_CONCURRENCY' | 'MAX_QUEUED_JOBS' | 'LADDER' | 'X264_PRESET' | 'SEGMENT_DURATION_SEC'
  >;
  readonly integrityKey: webcrypto.CryptoKey;
  readonly logger: Logger;
  readonly metrics: OriginMetrics;
}

/**
 * VOD videos: their records, a bounded job queue, and the packaging job. A job works in a
 * private folder under tmp/ and publishes with one rename into vod/<id>; a failed, killed or
 * cancelled job removes its folder and never touches vod/.
 */
export class VideoService {
  private readonly records = new Map<string, VideoRecord>();
  private readonly queue: string[] = [];
  private readonly running = new Map<
    string,
    { controller: AbortController; done: Promise<void> }
  >();
  /** Uploads being received or probed: each becomes a queued job, so each holds a place. */
  private reserved = 0;
  private closed = false;

  constructor(private readonly options: VideoServiceOptions) {}

  /** Jobs waiting for ffmpeg, counting uploads on their way in. */
  get waiting(): number {
    return this.queue.length + this.reserved;
  }

  /**
   * Hold a place in the queue for an upload before its body is read; throws BusyError (503)
   * when MAX_QUEUED_JOBS are waiting already. Call the returned release once the upload is
   * admitted or refused (idempotent).
   */
  reservePlace(): () => void {
    if (this.waiting >= this.options.config.MAX_QUEUED_JOBS) {
      throw new BusyError(
        'queue_full',
        `${this.waiting} packaging jobs are waiting already (MAX_QUEUED_JOBS); try again later`,
        QUEUE_RETRY_AFTER_SEC,
      );
    }
    this.reserved++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reserved--;
    };
  }

  async init(): Promise<void> {
    const { paths, logger } = this.options;
    for (const dir of [paths.uploads, paths.videos, paths.tmp, paths.vod]) {
      await mkdir(dir, { recursive: true });
    }
    // Whatever a previous run left in tmp/ is unpublished work: stop its ffmpeg, remove it.
    for (const entry of await readdir(paths.tmp)) {
      const jobDir = join(paths.tmp, entry);
      if (await killStaleProcess(join(jobDir, 'ffmpeg.pid'), jobDir)) {
        logger.warn('killed a leftover ffmpeg', { jobDir });
      }
      await removeTree(jobDir);
    }
    const uploads = await readdir(paths.uploads);
    for (const entry of uploads) {
      if (entry.startsWith('.part-')) await unlinkQuietly(join(paths.uploads, entry));
    }
    for (const entry of await readdir(paths.videos)) {
      if (!entry.endsWith('.json')) continue;
      try {
        const record = JSON.parse(await readFile(join(paths.videos, entry), 'utf8')) as VideoRecord;
        assertStreamId(record.id);
        this.records.set(record.id, record);
        await this.recover(record);
      } catch (error) {
        logger.warn('skipping an unreadable video record', { file: entry, err: error });
      }
    }
    // A source left beside a ready video: the origin stopped between publishing and removing it.
    for (const entry of uploads) {
      const id = entry.endsWith('.src') ? entry.slice(0, -'.src'.length) : null;
      if (id !== null && this.records.get(id)?.status === 'ready') {
        await unlinkQuietly(join(paths.uploads, entry));
      }
    }
    this.pump();
  }

  /** Bring a record left in flight by a previous run back to a consistent state. */
  private async recover(record: VideoRecord): Promise<void> {
    const { paths, logger } = this.options;
    const vodDir = paths.vodDir(record.id);
    if (record.status === 'ready' || !IN_FLIGHT.has(record.status)) return;
    if (existsSync(join(vodDir, META_FILE))) {
      // Published, but the origin stopped before recording it.
      const meta = JSON.parse(await readFile(join(vodDir, META_FILE), 'utf8')) as Pick<
        VideoRecord,
        'renditions' | 'durationSec'
      >;
      await unlinkQuietly(paths.upload(record.id));
      await this.update(record, { status: 'ready', progress: 1, ...meta });
    } else if (record.media && existsSync(paths.upload(record.id))) {
      logger.info('resuming an interrupted job', { id: record.id });
      await this.update(record, { status: 'queued', progress: 0 });
      this.queue.push(record.id);
    } else {
      await this.update(record, {
        status: 'failed',
        errorCode: 'interrupted',
        error: 'the origin stopped before the upload was complete',
      });
    }
  }

  has(id: string): boolean {
    return this.records.has(id);
  }

  get(id: string): VideoRecord {
    const record = this.records.get(assertStreamId(id));
    if (!record) throw notFound('unknown_id', `no video with id "${id}"`);
    return record;
  }

  list(): VideoRecord[] {
    return [...this.records.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  countByStatus(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const record of this.records.values()) {
      counts[record.status] = (counts[record.status] ?? 0) + 1;
    }
    return counts;
  }

  /**
   * Take a received upload (a `.part-*` file under uploads/): reserve the id, probe the file,
   * and queue it. A file ffprobe cannot read is removed and the error (422) thrown.
   */
  async admit(options: {
    id: string;
    title?: string;
    partPath: string;
    sizeBytes: number;
  }): Promise<VideoRecord> {
    const { paths } = this.options;
    const id = assertStreamId(options.id);
    if (this.records.has(id)) throw conflict('id_taken', `id "${id}" is already taken`);
    if (!isInside(paths.uploads, options.partPath)) throw new Error('upload outside uploads/');
    const now = new Date().toISOString();
    const record: VideoRecord = {
      id,
      ...(options.title === undefined ? {} : { title: options.title }),
      status: 'probing',
      progress: 0,
      sourceSizeBytes: options.sizeBytes,
      createdAt: now,
      updatedAt: now,
    };
    this.records.set(id, record);
    const uploadPath = paths.upload(id);
    let media: MediaInfo;
    const probeStarted = performance.now();
    try {
      await rename(options.partPath, uploadPath);
      media = await probeFile(this.options.binaries.ffprobe, uploadPath);
    } catch (error) {
      this.records.delete(id);
      await unlinkQuietly(uploadPath);
      await unlinkQuietly(options.partPath);
      throw error;
    }
    const probeMs = Math.round(performance.now() - probeStarted);
    if (this.records.get(id) !== record) {
      // Deleted while it was being probed.
      await unlinkQuietly(uploadPath);
      throw notFound('unknown_id', `video "${id}" was deleted`);
    }
    if (record.status === 'cancelled') {
      await unlinkQuietly(uploadPath);
      await this.persist(record);
      return record;
    }
    await this.update(record, { status: 'queued', media, timings: { probeMs } });
    this.queue.push(id);
    this.pump();
    return record;
  }

  async cancel(id: string): Promise<VideoRecord> {
    const record = this.get(id);
    if (record.status === 'cancelled') return record;
    if (record.status === 'ready' || record.status === 'failed') {
      throw conflict('not_cancellable', `video "${id}" is ${record.status}; nothing to cancel`);
    }
    const job = this.running.get(id);
    if (job) {
      job.controller.abort('cancel' satisfies AbortReason);
      await job.done;
    } else {
      this.dequeue(id);
      await unlinkQuietly(this.options.paths.upload(id));
      await this.update(record, { status: 'cancelled', progress: 0 });
      this.options.metrics.jobsFinished.inc({ outcome: 'cancelled' });
    }
    return record;
  }

  /** Remove a video: its job (if any), its published files, its record. */
  async delete(id: string): Promise<void> {
    const { paths } = this.options;
    const record = this.get(id);
    const job = this.running.get(id);
    if (job) {
      job.controller.abort('delete' satisfies AbortReason);
      await job.done;
    }
    this.dequeue(id);
    // Unpublish in one step (a reader sees everything or nothing), then delete at leisure.
    const trash = join(paths.tmp, `deleted-${id}-${randomToken(4)}`);
    try {
      await rename(paths.vodDir(id), trash);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    this.records.delete(record.id);
    await unlinkQuietly(paths.videoRecord(id));
    await unlinkQuietly(paths.upload(id));
    await removeTree(trash);
  }

  /** Stop running jobs; they resume from the start at the next start-up. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const jobs = [...this.running.values()];
    for (const job of jobs) job.controller.abort('shutdown' satisfies AbortReason);
    await Promise.all(jobs.map((job) => job.done));
  }

  private dequeue(id: string): void {
    const index = this.queue.indexOf(id);
    if (index >= 0) this.queue.splice(index, 1);
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.options.config.JOB_CONCURRENCY) {
      const id = this.queue.shift();
      if (id === undefined) return;
      const record = this.records.get(id);
      if (!record || record.status !== 'queued') continue;
      const controller = new AbortController();
      const done = this.runJob(record, controller.signal)
        .catch((error: unknown) => {
          this.options.logger.error('job crashed', { id, err: error });
        })
        .finally(() => {
          this.running.delete(id);
          this.pump();
        });
      this.running.set(id, { controller, done });
    }
  }

  private async runJob(record: VideoRecord, signal: AbortSignal): Promise<void> {
    const { paths, binaries, config, logger, metrics } = this.options;
    const id = record.id;
    const media = record.media!;
    const log = logger.child({ id });
    const started = performance.now();
    const jobDir = join(paths.tmp, `${id}-${randomToken(4)}`);
    const outDir = join(jobDir, 'out');
    const timings = { ...record.timings };
    let hasher: SegmentHasher | null = null;
    await this.update(record, { status: 'packaging', progress: 0 });
    try {
      const uploadPath = paths.upload(id);
      const { renditions, args } = planVodCommand({
        media,
        sourcePath: uploadPath,
        outDir,
        ladder: config.LADDER,
        x264Preset: config.X264_PRESET,
        segmentSec: config.SEGMENT_DURATION_SEC,
      });
      if (renditions.length === 0) throw new OutputError('the source has nothing to package');
      for (const rendition of renditions) {
        await mkdir(join(outDir, rendition.name), { recursive: true });
      }
      hasher = new SegmentHasher(renditions.map((r) => join(outDir, r.name)));
      hasher.start();
      log.info('packaging', { renditions: renditions.map((r) => r.name) });
      const ffmpeg = startFfmpeg(binaries.ffmpeg, args, {
        onProgress: (progress) => {
          record.progress = Math.min(0.99, progress.outTimeSec / Math.max(media.durationSec, 0.1));
        },
      });
      const onAbort = () => void ffmpeg.kill();
      signal.addEventListener('abort', onAbort);
      if (ffmpeg.pid !== undefined) await writePidFile(join(jobDir, 'ffmpeg.pid'), ffmpeg.pid);
      const exit = await ffmpeg.exited;
      signal.removeEventListener('abort', onAbort);
      await hasher.close();
      await unlinkQuietly(join(jobDir, 'ffmpeg.pid'));
      if (signal.aborted) throw new AbortedError();
      if (exit.code !== 0) throw new FfmpegError(describeExit(exit));
      timings.ffmpegMs = Math.round(performance.now() - started);

      const publishStarted = performance.now();
      const published = await finalizeVodOutput({
        outDir,
        streamId: id,
        renditions,
        ...(media.video ? { fps: media.video.fps } : {}),
        segmentSec: config.SEGMENT_DURATION_SEC,
        integrityKey: this.options.integrityKey,
        digestOf: (path) => hasher!.digest(path),
      });
      const durationSec = published[0]?.durationSec ?? 0;
      // ffmpeg exits 0 on a file that ends early (a cut-off download): compare with the probe.
      if (durationSec < media.durationSec * 0.9 - 0.5) {
        throw new OutputError(
          `the source is truncated or corrupt: only ${durationSec.toFixed(1)} s of ${media.durationSec.toFixed(1)} s could be decoded`,
        );
      }
      await writeFileAtomic(
        join(outDir, META_FILE),
        JSON.stringify({ renditions: published, durationSec }),
      );
      if (signal.aborted) throw new AbortedError();
      await rename(outDir, paths.vodDir(id));
      timings.publishMs = Math.round(performance.now() - publishStarted);
      timings.packagingMs = Math.round(performance.now() - started);
      await removeTree(jobDir);
      // The source goes before the status says ready (whoever sees it ready sees no leftovers);
      // a crash in between is recovered from the published meta file.
      await unlinkQuietly(uploadPath);
      await this.update(record, {
        status: 'ready',
        progress: 1,
        renditions: published,
        durationSec,
        timings,
      });
      metrics.jobsFinished.inc({ outcome: 'ready' });
      metrics.packagingSeconds.observe(timings.packagingMs / 1000);
      log.info('published', { durationSec, packagingMs: timings.packagingMs });
    } catch (error) {
      // Clean up before the status says the job is over: whoever sees it over sees no leftovers.
      await hasher?.close();
      await removeTree(jobDir);
      const reason = signal.aborted ? (signal.reason as AbortReason) : null;
      if (reason === 'shutdown') {
        // Resume at the next start-up; the upload stays.
        await this.update(record, { status: 'queued', progress: 0 });
      } else if (reason === 'cancel' || reason === 'delete') {
        await unlinkQuietly(paths.upload(id));
        await this.update(record, { status: 'cancelled', progress: 0 });
        metrics.jobsFinished.inc({ outcome: 'cancelled' });
        log.info('cancelled');
      } else {
        // ffmpeg's messages name files: keep the server's folders out of the API.
        const message = (error instanceof Error ? error.message : String(error)).replaceAll(
          paths.root,
          '<data>',
        );
        const code =
          error instanceof FfmpegError
            ? 'ffmpeg_failed'
            : error instanceof OutputError
              ? 'bad_output'
              : 'job_failed';
        await unlinkQuietly(paths.upload(id));
        await this.update(record, { status: 'failed', errorCode: code, error: message });
        metrics.jobsFinished.inc({ outcome: 'failed' });
        log.warn('packaging failed', { err: error });
      }
    }
  }

  private async update(record: VideoRecord, changes: Partial<VideoRecord>): Promise<void> {
    Object.assign(record, changes, { updatedAt: new Date().toISOString() });
    if (changes.status !== undefined && changes.status !== 'failed') {
      delete record.error;
      delete record.errorCode;
    }
    if (this.records.get(record.id) === record) await this.persist(record);
  }

  private async persist(record: VideoRecord): Promise<void> {
    await writeFileAtomic(this.options.paths.videoRecord(record.id), JSON.stringify(record));
  }
}
