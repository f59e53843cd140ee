import type { webcrypto } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { INTEGRITY_MANIFEST_FILE, signLiveInit, signLiveSegment } from '@coral-cdn/protocol';
import type { Logger } from '@coral-cdn/server-kit';
import type { OriginConfig } from '../config.js';
import type { FfmpegBinaries } from '../ffmpeg/binaries.js';
import { killStaleProcess, writePidFile } from '../ffmpeg/pidfile.js';
import { describeExit, startFfmpeg, type FfmpegExit, type FfmpegProcess } from '../ffmpeg/run.js';
import { randomToken, unlinkQuietly, writeFileAtomic } from '../fs-util.js';
import { inspectInitSegment, type InitSegmentInfo } from '../hls/init-segment.js';
import { parseMediaPlaylist, renderMasterPlaylist, segmentNumber } from '../hls/playlist.js';
import { hashFile, subtle } from '../integrity/hash.js';
import type { OriginMetrics } from '../metrics.js';
import { buildEncodeArgs, FFMPEG_LIVE_PLAYLIST, FFMPEG_MASTER } from '../packaging/command.js';
import { planUnknownSizeRenditions } from '../packaging/ladder.js';
import { INIT_SEGMENT, MASTER_PLAYLIST, MEDIA_PLAYLIST } from '../vod/publish.js';
import { RtmpGate } from './rtmp/gate.js';
import { filePlan, testsrcPlan, type SourcePlan } from './source-plan.js';
import { LiveWindow } from './window.js';

export type LiveSource =
  | { readonly type: 'testsrc' }
  | { readonly type: 'file'; readonly path: string }
  | { readonly type: 'rtmp' }
  | { readonly type: 'srt' };

export type ChannelStatus = 'starting' | 'running' | 'stopped' | 'failed';

/** What survives a restart of the origin: live/<id>/channel.json. */
export interface ChannelRecord {
  id: string;
  title?: string;
  /** `file` sources hold an absolute path inside LIVE_SOURCES_DIR. */
  source: LiveSource;
  /** Whether the channel should run; a channel that should is started again at start-up. */
  desired: 'running' | 'stopped';
  /** Media sequence of the next segment: numbering continues across restarts. */
  nextSequence: number;
  ingestPort?: number;
  ingestKey?: string;
  /** Set for an LL-HLS channel (served by LlChannel). */
  lowLatency?: { partTargetSec: number };
  createdAt: string;
}

export const CHANNEL_FILE = 'channel.json';
const PID_FILE = 'ffmpeg.pid';

export interface ChannelOptions {
  readonly dir: string;
  readonly binaries: FfmpegBinaries;
  readonly config: Pick<
    OriginConfig,
    | 'LADDER'
    | 'SEGMENT_DURATION_SEC'
    | 'LIVE_WINDOW_SEGMENTS'
    | 'LIVE_TESTSRC_SIZE'
    | 'LIVE_TESTSRC_FPS'
    | 'LIVE_INGEST_HOST'
    | 'LIVE_POLL_MS'
    | 'LIVE_SOURCES_DIR'
    | 'LIVE_X264_PRESET'
  >;
  readonly integrityKey: webcrypto.CryptoKey;
  readonly logger: Logger;
  readonly metrics: OriginMetrics;
  /** A free ingest port for a push source (tcp for RTMP, udp for SRT). */
  readonly allocatePort: (protocol: 'tcp' | 'udp', preferred?: number) => Promise<number>;
  /** A free loopback TCP port (where ffmpeg's RTMP listener hides behind the gate). */
  readonly loopbackPort: () => Promise<number>;
}

type Plan = SourcePlan;

/**
 * One live channel: an ffmpeg writing a sliding window of fMP4 segments per rendition, and a
 * watcher that publishes each segment once ffmpeg lists it in its playlist (the moment it is
 * complete): hash, sign, then rewrite integrity.json and index.m3u8 from the signed window.
 */
export class LiveChannel {
  status: ChannelStatus = 'stopped';
  error: string | undefined;
  startedAt: string | undefined;
  private ffmpeg: FfmpegProcess | null = null;
  private exitHandled: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private tickInFlight: Promise<void> | null = null;
  private readonly windows = new Map<string, LiveWindow>();
  private readonly initInfo = new Map<string, InitSegmentInfo>();
  /** Renditions that have published a segment of the current ffmpeg run. */
  private readonly fresh = new Set<string>();
  private plan: Plan | null = null;
  private epochStart = 0;
  private stopping = false;
  private closed = false;
  private masterDirty = false;
  /** RTMP: the key check in front of ffmpeg's listener; lives from start to stop. */
  private gate: RtmpGate | null = null;
  private readonly log: Logger;

  constructor(
    readonly record: ChannelRecord,
    private readonly options: ChannelOptions,
  ) {
    this.log = options.logger.child({ channel: record.id });
  }

  get id(): string {
    return this.record.id;
  }

  get isActive(): boolean {
    return this.ffmpeg !== null;
  }

  ingestUrl(): string | undefined {
    const { record } = this;
    if (record.ingestPort === undefined || record.ingestKey === undefined) return undefined;
    const host = this.options.config.LIVE_INGEST_HOST;
    if (record.source.type === 'rtmp')
      return `rtmp://${host}:${record.ingestPort}/live/${record.ingestKey}`;
    if (record.source.type === 'srt') {
      return `srt://${host}:${record.ingestPort}?passphrase=${record.ingestKey}&pbkeylen=16`;
    }
    return undefined;
  }

  /** Start ffmpeg (no-op when it runs). Rejects when the source cannot be used. */
  async start(): Promise<void> {
    if (this.ffmpeg || this.closed) return;
    this.stopping = false;
    const { dir, config, binaries } = this.options;
    await killStaleProcess(join(dir, PID_FILE), dir);
    const plan = await this.makePlan();
    this.plan = plan;
    this.epochStart = this.record.nextSequence;
    this.fresh.clear();
    for (const rendition of plan.renditions) {
      await mkdir(join(dir, rendition.name), { recursive: true });
      // A playlist left by an earlier run must not be read as this run's.
      await unlinkQuietly(join(dir, rendition.name, FFMPEG_LIVE_PLAYLIST));
      if (!this.windows.has(rendition.name)) {
        this.windows.set(
          rendition.name,
          new LiveWindow(this.id, rendition.name, config.LIVE_WINDOW_SEGMENTS),
        );
      }
    }
    const args = buildEncodeArgs(
      {
        renditions: plan.renditions,
        inputArgs: plan.inputArgs,
        videoInput: plan.videoInput,
        audioInput: plan.audioInput,
        fps: plan.fps,
        segmentSec: config.SEGMENT_DURATION_SEC,
        x264Preset: config.LIVE_X264_PRESET,
        outDir: dir,
      },
      {
        kind: 'live',
        windowSegments: config.LIVE_WINDOW_SEGMENTS,
        startNumber: this.epochStart,
      },
    );
    // Stopped or closed while preparing: start nothing the stop would not wait for.
    if (this.stopping || this.closed) return;
    const ffmpeg = startFfmpeg(binaries.ffmpeg, args);
    this.ffmpeg = ffmpeg;
    // Before any await: a stop() from here on must wait for this run's own end, not the last
    // run's; and an end that cannot write (its folder deleted) is logged, never unhandled.
    this.exitHandled = ffmpeg.exited
      .then((exit) => this.onExit(ffmpeg, exit))
      .catch((error: unknown) =>
        this.log.error('live ffmpeg exit handling failed', { err: error }),
      );
    this.status = 'starting';
    this.error = undefined;
    this.startedAt = new Date().toISOString();
    if (ffmpeg.pid !== undefined) await writePidFile(join(dir, PID_FILE), ffmpeg.pid);
    this.timer = setInterval(() => void this.tick(), config.LIVE_POLL_MS);
    this.log.info('live channel started', {
      source: this.record.source.type,
      renditions: plan.renditions.map((r) => r.name),
      startSequence: this.epochStart,
    });
  }

  /** Stop ffmpeg gracefully and end the playlists. `remember`: stay stopped after a restart. */
  async stop(remember: boolean): Promise<void> {
    if (remember) {
      this.record.desired = 'stopped';
      await this.persist();
    }
    this.stopping = true;
    const ffmpeg = this.ffmpeg;
    if (ffmpeg) {
      await ffmpeg.stop(5000);
      await this.exitHandled;
    } else if (this.status !== 'failed') {
      this.status = 'stopped';
    }
    await this.closeGate();
  }

  private async closeGate(): Promise<void> {
    const gate = this.gate;
    this.gate = null;
    await gate?.destroy();
  }

  /** Stop for good (shutdown or delete). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.stop(false);
  }

  async persist(): Promise<void> {
    await writeFileAtomic(join(this.options.dir, CHANNEL_FILE), JSON.stringify(this.record));
  }

  /** The API's view of the channel; the ingest URL (it holds the key) only with `secrets`. */
  view(options: { secrets: boolean }): Record<string, unknown> {
    const { record } = this;
    const last = Math.max(-1, ...[...this.windows.values()].map((w) => w.lastSequence ?? -1));
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
      ...(!options.secrets || this.ingestUrl() === undefined
        ? {}
        : { ingestUrl: this.ingestUrl() }),
      renditions: this.plan?.renditions.map((r) => r.name) ?? [],
      ...(last >= 0 ? { lastSequence: last } : {}),
      manifestPath: `/live/${record.id}/${MASTER_PLAYLIST}`,
      ...(this.startedAt === undefined ? {} : { startedAt: this.startedAt }),
      createdAt: record.createdAt,
    };
  }

  private async makePlan(): Promise<Plan> {
    const { config, binaries } = this.options;
    const source = this.record.source;
    switch (source.type) {
      case 'testsrc':
        return testsrcPlan(config);
      case 'file':
        return filePlan(binaries, config, source.path);
      case 'rtmp':
      case 'srt': {
        const protocol = source.type === 'rtmp' ? 'tcp' : 'udp';
        this.record.ingestKey ??= randomToken(12);
        // The gate keeps its port between publishers; otherwise take one.
        this.record.ingestPort =
          this.gate?.port ?? (await this.options.allocatePort(protocol, this.record.ingestPort));
        const host = config.LIVE_INGEST_HOST;
        const port = this.record.ingestPort;
        const inputArgs =
          source.type === 'rtmp'
            ? [
                '-listen',
                '1',
                '-f',
                'flv',
                '-i',
                `rtmp://127.0.0.1:${await this.openGate(port)}/live/${this.record.ingestKey}`,
              ]
            : [
                '-f',
                'mpegts',
                '-i',
                `srt://${host}:${port}?mode=listener&passphrase=${this.record.ingestKey}&pbkeylen=16`,
              ];
        // The source's size is unknown until a publisher connects: the ladder applies as
        // configured, and publishers are expected to send video and audio.
        return {
          renditions: planUnknownSizeRenditions(config.LADDER, true),
          inputArgs,
          videoInput: '0:v:0',
          audioInput: '0:a:0',
          fps: 30,
        };
      }
    }
  }

  /** Listen on the public ingest port (if not yet); returns ffmpeg's loopback port behind it. */
  private async openGate(port: number): Promise<number> {
    if (this.gate === null) {
      const gate = new RtmpGate({
        host: this.options.config.LIVE_INGEST_HOST,
        port,
        key: () => this.record.ingestKey ?? '',
        logger: this.log,
      });
      await gate.listen();
      this.gate = gate;
    }
    const upstream = await this.options.loopbackPort();
    this.gate.setUpstream(upstream);
    return upstream;
  }

  private async onExit(ffmpeg: FfmpegProcess, exit: FfmpegExit): Promise<void> {
    if (this.ffmpeg !== ffmpeg) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.tick();
    this.ffmpeg = null;
    await unlinkQuietly(join(this.options.dir, PID_FILE));
    // A push run that carried a stream ended because its publisher left (cleanly or not):
    // listen for the next one. A run that never got going is a failure (say, a bad port).
    const isPush = this.record.source.type === 'rtmp' || this.record.source.type === 'srt';
    const pushEnded = isPush && (exit.code === 0 || this.fresh.size > 0);
    if (this.stopping || this.closed) {
      this.status = 'stopped';
    } else if (pushEnded) {
      this.status = 'stopped';
      this.log.info('the publisher disconnected; listening again');
    } else {
      this.status = 'failed';
      this.error = describeExit(exit).replaceAll(this.options.dir, '<channel>');
      this.log.warn('live ffmpeg exited', { error: this.error });
    }
    this.gate?.setUpstream(null);
    await this.writeEndedPlaylists();
    if (pushEnded && !this.stopping && !this.closed) {
      await this.start().catch((error: unknown) => {
        this.status = 'failed';
        this.error = error instanceof Error ? error.message : String(error);
      });
    }
    if (!this.isActive) await this.closeGate();
  }

  private async writeEndedPlaylists(): Promise<void> {
    for (const window of this.windows.values()) {
      const text = window.playlist({
        ended: true,
        segmentSec: this.options.config.SEGMENT_DURATION_SEC,
      });
      if (text !== null) {
        await writeFileAtomic(join(this.options.dir, window.rendition, MEDIA_PLAYLIST), text);
      }
    }
  }

  /** One pass of the watcher; passes never overlap. */
  tick(): Promise<void> {
    if (this.tickInFlight) return this.tickInFlight;
    this.tickInFlight = this.publishNew()
      .catch((error: unknown) => this.log.warn('live publish pass failed', { err: error }))
      .finally(() => {
        this.tickInFlight = null;
      });
    return this.tickInFlight;
  }

  private async publishNew(): Promise<void> {
    const plan = this.plan;
    if (!plan) return;
    let published = 0;
    for (const rendition of plan.renditions) {
      published += await this.publishRendition(rendition.name);
    }
    if (published === 0) return;
    if (this.status === 'starting') this.status = 'running';
    const last = Math.max(...[...this.windows.values()].map((w) => w.lastSequence ?? -1));
    if (last + 1 > this.record.nextSequence) {
      this.record.nextSequence = last + 1;
      await this.persist();
    }
    if (this.masterDirty && plan.renditions.every((r) => this.initInfo.has(r.name))) {
      await this.writeMaster(plan);
      this.masterDirty = false;
    }
  }

  private async publishRendition(name: string): Promise<number> {
    const dir = join(this.options.dir, name);
    const window = this.windows.get(name)!;
    let playlist;
    try {
      playlist = parseMediaPlaylist(await readFile(join(dir, FFMPEG_LIVE_PLAYLIST), 'utf8'));
    } catch {
      return 0; // not written yet, or caught mid-write: next pass
    }
    let published = 0;
    for (const [index, segment] of playlist.segments.entries()) {
      const sequence = playlist.mediaSequence + index;
      if (sequence < this.epochStart) continue;
      if (this.fresh.has(name) && sequence <= (window.lastSequence ?? -1)) continue;
      if (segmentNumber(segment.uri) !== sequence) {
        this.log.warn('unexpected segment name', { uri: segment.uri, sequence });
        continue;
      }
      if (!this.fresh.has(name)) {
        if (playlist.mapUri === null) return published;
        await this.startNewWindow(name, playlist.mapUri);
      }
      let digest;
      try {
        digest = await hashFile(join(dir, segment.uri));
      } catch {
        continue; // already deleted behind the window
      }
      const entry = await signLiveSegment(subtle, this.options.integrityKey, this.id, name, {
        sequence,
        uri: segment.uri,
        durationSec: segment.durationSec,
        ...digest,
      });
      window.push({
        ...entry,
        ...(segment.programDateTime === undefined
          ? {}
          : { programDateTime: segment.programDateTime }),
      });
      published++;
      this.options.metrics.liveSegments.inc({ channel: this.id });
    }
    if (published > 0) {
      // The manifest first: a segment is in the playlist only once its hash is fetchable.
      await writeFileAtomic(
        join(dir, INTEGRITY_MANIFEST_FILE),
        `${JSON.stringify(window.manifest())}\n`,
      );
      const text = window.playlist({
        ended: false,
        segmentSec: this.options.config.SEGMENT_DURATION_SEC,
      });
      if (text !== null) await writeFileAtomic(join(dir, MEDIA_PLAYLIST), text);
    }
    return published;
  }

  /** The first segment of a new ffmpeg run: sign its init, drop the previous run's window. */
  private async startNewWindow(name: string, mapUri: string): Promise<void> {
    const dir = join(this.options.dir, name);
    const window = this.windows.get(name)!;
    const tmp = join(dir, `.init.${randomToken(4)}.tmp`);
    await copyFile(join(dir, mapUri), tmp);
    await rename(tmp, join(dir, INIT_SEGMENT));
    const initBytes = await readFile(join(dir, INIT_SEGMENT));
    const digest = await hashFile(join(dir, INIT_SEGMENT));
    window.setInit(
      await signLiveInit(subtle, this.options.integrityKey, this.id, name, {
        uri: INIT_SEGMENT,
        ...digest,
      }),
    );
    this.initInfo.set(name, inspectInitSegment(initBytes));
    this.masterDirty = true;
    window.reset();
    // Segments of earlier runs (numbered below this run's first) are no longer listed anywhere.
    for (const file of await readdir(dir)) {
      const number = segmentNumber(file);
      if (number !== null && number < this.epochStart) await unlinkQuietly(join(dir, file));
    }
    this.fresh.add(name);
  }

  private async writeMaster(plan: Plan): Promise<void> {
    const text = renderMasterPlaylist(
      plan.renditions.map((rendition) => {
        const info = this.initInfo.get(rendition.name)!;
        const kbps = (rendition.video?.bitrateKbps ?? 0) + (rendition.audio?.bitrateKbps ?? 0);
        return {
          uri: `${rendition.name}/${MEDIA_PLAYLIST}`,
          // Nothing measured yet: the configured rate plus muxing overhead.
          bandwidth: Math.round(kbps * 1000 * 1.1),
          ...(info.width === undefined
            ? {}
            : {
                resolution: { width: info.width, height: info.height ?? 0 },
                frameRate: plan.fps,
              }),
          codecs: info.codecs,
        };
      }),
    );
    await writeFileAtomic(join(this.options.dir, MASTER_PLAYLIST), text);
    await unlinkQuietly(join(this.options.dir, FFMPEG_MASTER));
  }
}
