import { relative } from 'node:path';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describeExit, type FfmpegExit } from '../../ffmpeg/run.js';
import { writeFileAtomic } from '../../fs-util.js';
import { inspectInitSegment } from '../../hls/init-segment.js';
import { renderMasterPlaylist } from '../../hls/playlist.js';
import type { Logger } from '@coral-cdn/server-kit';
import { MASTER_PLAYLIST, MEDIA_PLAYLIST } from '../../vod/publish.js';
import {
  CHANNEL_FILE,
  type ChannelOptions,
  type ChannelRecord,
  type ChannelStatus,
} from '../channel.js';
import { FragmentSplitter } from './boxes.js';
import { buildLlEncodeArgs, startLlEncoder, type LlEncoderProcess } from './encoder.js';
import { partHoldBackSec, type LlTiming } from './playlist.js';
import { LlRendition } from './rendition.js';
import type { Rendition } from '../../packaging/ladder.js';
import { filePlan, testsrcPlan, type SourcePlan } from '../source-plan.js';

export interface LowLatencyOptions {
  /** ffmpeg's fragment (part) duration. */
  readonly partTargetSec: number;
}

/**
 * A low-latency (LL-HLS) live channel: ffmpeg writes fragmented MP4 to pipes, one per
 * rendition; each fragment becomes a signed part the moment it is complete, and parts are
 * grouped into segments at keyframes. Everything is served from memory (the window only);
 * only the channel record is on disk. The same surface as a classic LiveChannel.
 */
export class LlChannel {
  status: ChannelStatus = 'stopped';
  error: string | undefined;
  startedAt: string | undefined;
  private encoder: LlEncoderProcess | null = null;
  private exitHandled: Promise<void> = Promise.resolve();
  private list: LlRendition[] = [];
  private master: string | null = null;
  private stopping = false;
  private closed = false;
  private readonly log: Logger;
  readonly timing: LlTiming;

  constructor(
    readonly record: ChannelRecord & { lowLatency: LowLatencyOptions },
    private readonly options: ChannelOptions,
  ) {
    this.log = options.logger.child({ channel: record.id, lowLatency: true });
    const fps = options.config.LIVE_TESTSRC_FPS;
    // A part may run one frame past ffmpeg's fragment duration (the first of a run does).
    this.timing = {
      partTargetSec: Math.ceil((record.lowLatency.partTargetSec + 1 / fps) * 1000) / 1000,
      segmentSec: options.config.SEGMENT_DURATION_SEC,
    };
  }

  get id(): string {
    return this.record.id;
  }

  get isActive(): boolean {
    return this.encoder !== null;
  }

  get renditions(): readonly LlRendition[] {
    return this.list;
  }

  rendition(name: string): LlRendition | undefined {
    return this.list.find((r) => r.name === name);
  }

  get masterPlaylist(): string | null {
    return this.master;
  }

  async start(): Promise<void> {
    if (this.encoder || this.closed) return;
    this.stopping = false;
    const plan = await this.makePlan();
    const { config, binaries, integrityKey } = this.options;
    const video = plan.renditions.filter((r) => r.video);
    const first = this.record.nextSequence;
    for (const r of this.list) r.destroy();
    this.list = video.map(
      (r) =>
        new LlRendition(
          {
            streamId: this.id,
            rendition: r.name,
            windowSegments: config.LIVE_WINDOW_SEGMENTS,
            integrityKey,
          },
          first,
        ),
    );
    this.master = null;
    const args = buildLlEncodeArgs({
      renditions: video,
      inputArgs: plan.inputArgs,
      videoInput: plan.videoInput,
      audioInput: plan.audioInput,
      fps: plan.fps,
      segmentSec: config.SEGMENT_DURATION_SEC,
      fragmentSec: this.record.lowLatency.partTargetSec,
      x264Preset: config.LIVE_X264_PRESET,
    });
    const encoder = startLlEncoder(binaries.ffmpeg, args, video.length);
    this.encoder = encoder;
    this.status = 'starting';
    this.error = undefined;
    this.startedAt = new Date().toISOString();
    const drained = encoder.outputs.map((stream, i) =>
      this.consume(stream, this.list[i]!, video, plan.fps),
    );
    this.exitHandled = Promise.all([encoder.exited, ...drained]).then(([exit]) =>
      this.onExit(encoder, exit),
    );
    this.log.info('live channel started', {
      source: this.record.source.type,
      renditions: video.map((r) => r.name),
      startSequence: first,
      partTargetSec: this.timing.partTargetSec,
      partHoldBackSec: partHoldBackSec(this.timing),
    });
  }

  async stop(remember: boolean): Promise<void> {
    if (remember) {
      this.record.desired = 'stopped';
      await this.persist();
    }
    this.stopping = true;
    const encoder = this.encoder;
    if (encoder) {
      await encoder.stop(5000);
      await this.exitHandled;
    } else if (this.status !== 'failed') {
      this.status = 'stopped';
    }
  }

  /** Stop for good (shutdown or delete). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.stop(false);
    for (const r of this.list) r.destroy();
  }

  async persist(): Promise<void> {
    await writeFileAtomic(join(this.options.dir, CHANNEL_FILE), JSON.stringify(this.record));
  }

  /** A test-pattern channel has no ingest secret: the view is the same for everyone. */
  view(_options?: { secrets: boolean }): Record<string, unknown> {
    const { record } = this;
    const last = Math.max(-1, ...this.list.map((r) => r.lastCompleteMsn));
    return {
      id: record.id,
      kind: 'live',
      ...(record.title === undefined ? {} : { title: record.title }),
      status: this.status,
      ...(this.error === undefined ? {} : { error: this.error }),
      desired: record.desired,
      source:
        record.source.type === 'file'
          ? {
              type: 'file',
              path: relative(this.options.config.LIVE_SOURCES_DIR, record.source.path),
            }
          : { type: record.source.type },
      lowLatency: {
        partTargetSec: this.timing.partTargetSec,
        partHoldBackSec: partHoldBackSec(this.timing),
      },
      renditions: this.list.map((r) => r.name),
      ...(last >= 0 ? { lastSequence: last } : {}),
      manifestPath: `/live/${record.id}/${MASTER_PLAYLIST}`,
      ...(this.startedAt === undefined ? {} : { startedAt: this.startedAt }),
      createdAt: record.createdAt,
    };
  }

  /** Read one rendition's pipe into parts; resolves when the pipe ends. */
  private consume(
    stream: Readable,
    rendition: LlRendition,
    video: readonly Rendition[],
    fps: number,
  ): Promise<void> {
    let chain: Promise<void> = Promise.resolve();
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      this.error = error instanceof Error ? error.message : String(error);
      this.log.warn('LL fragment stream failed', { rendition: rendition.name, err: error });
      void this.encoder?.stop(1000);
    };
    const splitter = new FragmentSplitter(
      (init) => {
        chain = chain
          .then(() => rendition.setInit(init.bytes))
          .then(() => this.maybeWriteMaster(video, fps))
          .catch(fail);
      },
      (fragment) => {
        chain = chain
          .then(async () => {
            const before = rendition.lastCompleteMsn;
            await rendition.addFragment(fragment);
            if (this.status === 'starting') this.status = 'running';
            if (rendition.lastCompleteMsn > before) this.onSegment(rendition);
          })
          .catch(fail);
      },
    );
    return new Promise((done) => {
      stream.on('data', (chunk: Buffer) => {
        if (failed) return;
        try {
          splitter.push(chunk);
        } catch (error) {
          fail(error);
        }
      });
      stream.once('close', () => void chain.then(done));
      stream.once('error', (error) => fail(error));
    });
  }

  private onSegment(rendition: LlRendition): void {
    this.options.metrics.liveSegments.inc({ channel: this.id });
    const next = rendition.upcomingSequence;
    if (next > this.record.nextSequence) {
      this.record.nextSequence = next;
      this.persist().catch((error: unknown) =>
        this.log.warn('could not persist the channel record', { err: error }),
      );
    }
  }

  private maybeWriteMaster(video: readonly Rendition[], fps: number): void {
    if (!this.list.every((r) => r.init)) return;
    this.master = renderMasterPlaylist(
      video.map((rendition, i) => {
        const info = inspectInitSegment(this.list[i]!.init!.bytes);
        const kbps = (rendition.video?.bitrateKbps ?? 0) + (rendition.audio?.bitrateKbps ?? 0);
        return {
          uri: `${rendition.name}/${MEDIA_PLAYLIST}`,
          bandwidth: Math.round(kbps * 1000 * 1.1),
          ...(info.width === undefined
            ? {}
            : { resolution: { width: info.width, height: info.height ?? 0 }, frameRate: fps }),
          codecs: info.codecs,
        };
      }),
    );
  }

  private async onExit(encoder: LlEncoderProcess, exit: FfmpegExit): Promise<void> {
    if (this.encoder !== encoder) return;
    this.encoder = null;
    for (const rendition of this.list) await rendition.end();
    const next = Math.max(this.record.nextSequence, ...this.list.map((r) => r.upcomingSequence));
    this.record.nextSequence = next;
    await this.persist().catch(() => undefined);
    if (this.stopping || this.closed) {
      this.status = 'stopped';
    } else {
      this.status = 'failed';
      this.error ??= describeExit(exit);
      this.log.warn('live ffmpeg exited', { error: this.error });
    }
  }

  private async makePlan(): Promise<SourcePlan & { videoInput: string }> {
    const { config, binaries } = this.options;
    const source = this.record.source;
    if (source.type === 'testsrc') return testsrcPlan(config);
    if (source.type === 'file') {
      const plan = await filePlan(binaries, config, source.path);
      const { videoInput } = plan;
      if (!videoInput) throw new Error('a low-latency channel needs a source with video');
      return { ...plan, videoInput };
    }
    throw new Error(`a low-latency channel cannot take a ${source.type} source`);
  }
}
