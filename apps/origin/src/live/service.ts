import type { webcrypto } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rename, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { Logger } from '@coral-cdn/server-kit';
import { z } from 'zod';
import type { OriginConfig } from '../config.js';
import { badRequest, BusyError, conflict, notFound, OriginError } from '../errors.js';
import type { FfmpegBinaries } from '../ffmpeg/binaries.js';
import { probeFile } from '../ffmpeg/probe.js';
import { isInside, randomToken, removeTree } from '../fs-util.js';
import type { OriginMetrics } from '../metrics.js';
import { assertStreamId, type DataPaths } from '../paths.js';
import {
  CHANNEL_FILE,
  LiveChannel,
  type ChannelOptions,
  type ChannelRecord,
  type LiveSource,
} from './channel.js';
import { LlChannel } from './ll/channel.js';

/** An LL-HLS channel: `lowLatency: true` (0.5 s parts) or `{ partTargetSec }`. */
const lowLatencySchema = z.union([
  z.literal(true).transform(() => ({ partTargetSec: 0.5 })),
  z.object({ partTargetSec: z.number().min(0.2).max(1).default(0.5) }),
]);

export const createChannelSchema = z.object({
  id: z.string().optional(),
  title: z.string().max(200).optional(),
  source: z.discriminatedUnion('type', [
    z.object({ type: z.literal('testsrc') }),
    z.object({ type: z.literal('file'), path: z.string().min(1).max(1024) }),
    z.object({ type: z.literal('rtmp') }),
    z.object({ type: z.literal('srt') }),
  ]),
  lowLatency: lowLatencySchema.optional(),
});
export type CreateChannelRequest = z.infer<typeof createChannelSchema>;

export interface LiveServiceOptions {
  readonly paths: DataPaths;
  readonly binaries: FfmpegBinaries;
  readonly config: ChannelOptions['config'] &
    Pick<OriginConfig, 'LIVE_INGEST_PORTS' | 'MAX_LIVE_CHANNELS'>;
  readonly integrityKey: webcrypto.CryptoKey;
  readonly logger: Logger;
  readonly metrics: OriginMetrics;
}

function canBind(protocol: 'tcp' | 'udp', host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    if (protocol === 'tcp') {
      const server = createServer();
      server.once('error', () => done(false));
      server.listen(port, host, () => server.close(() => done(true)));
    } else {
      const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      socket.once('error', () => {
        socket.close();
        done(false);
      });
      socket.bind(port, host, () => socket.close(() => done(true)));
    }
  });
}

/** A free TCP port on loopback (the OS picks; closed again at once for ffmpeg to take). */
function loopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** What a client refused for too many channels is told to wait before trying again. */
const LIVE_RETRY_AFTER_SEC = 60;

/** Live channels: create, start, stop, delete; restarted at start-up if they were running. */
export class LiveService {
  private readonly channels = new Map<string, LiveChannel | LlChannel>();
  /** Starts under way (counted against MAX_LIVE_CHANNELS before their ffmpeg runs). */
  private starting = 0;
  private closed = false;

  constructor(
    private readonly options: LiveServiceOptions,
    /** Whether an id is taken by a VOD video (ids are shared: /api/playback/<id>). */
    private readonly takenElsewhere: (id: string) => boolean,
  ) {}

  async init(): Promise<void> {
    const { paths, logger } = this.options;
    await mkdir(paths.live, { recursive: true });
    // The default sources folder lives in DATA_DIR; one configured elsewhere is left alone.
    if (isInside(paths.root, this.options.config.LIVE_SOURCES_DIR)) {
      await mkdir(this.options.config.LIVE_SOURCES_DIR, { recursive: true });
    }
    for (const entry of await readdir(paths.live)) {
      const file = join(paths.live, entry, CHANNEL_FILE);
      if (!existsSync(file)) continue;
      try {
        const record = JSON.parse(await readFile(file, 'utf8')) as ChannelRecord;
        assertStreamId(record.id);
        const channel = this.makeChannel(record);
        this.channels.set(record.id, channel);
        if (record.desired === 'running') {
          await this.startCapped(channel).catch((error: unknown) => {
            channel.status = 'failed';
            channel.error = error instanceof Error ? error.message : String(error);
          });
        }
      } catch (error) {
        logger.warn('skipping an unreadable live channel', { dir: entry, err: error });
      }
    }
  }

  has(id: string): boolean {
    return this.channels.has(id);
  }

  /** The LL-HLS channel with this id, if it is one (its HLS is served from memory). */
  lowLatency(id: string): LlChannel | undefined {
    const channel = this.channels.get(id);
    return channel instanceof LlChannel ? channel : undefined;
  }

  get(id: string): LiveChannel | LlChannel {
    const channel = this.channels.get(assertStreamId(id));
    if (!channel) throw notFound('unknown_id', `no live channel with id "${id}"`);
    return channel;
  }

  list(): (LiveChannel | LlChannel)[] {
    return [...this.channels.values()];
  }

  countByStatus(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const channel of this.channels.values()) {
      counts[channel.status] = (counts[channel.status] ?? 0) + 1;
    }
    return counts;
  }

  async create(request: CreateChannelRequest): Promise<LiveChannel | LlChannel> {
    if (this.closed) throw new OriginError('shutting_down', 'the origin is shutting down', 503);
    if (request.lowLatency && request.source.type !== 'testsrc' && request.source.type !== 'file') {
      throw badRequest(
        'll_source_unsupported',
        'low-latency channels take testsrc or file sources',
      );
    }
    const id = request.id === undefined ? this.newId() : assertStreamId(request.id);
    if (this.channels.has(id) || this.takenElsewhere(id)) {
      throw conflict('id_taken', `id "${id}" is already taken`);
    }
    this.assertBelowCap();
    const source = await this.resolveSource(request.source);
    const record: ChannelRecord = {
      id,
      ...(request.title === undefined ? {} : { title: request.title }),
      source,
      desired: 'running',
      nextSequence: 0,
      ...(request.lowLatency === undefined ? {} : { lowLatency: request.lowLatency }),
      createdAt: new Date().toISOString(),
    };
    const channel = this.makeChannel(record);
    this.channels.set(id, channel);
    try {
      await mkdir(this.options.paths.liveDir(id), { recursive: true });
      await channel.persist();
      await this.startCapped(channel);
    } catch (error) {
      this.channels.delete(id);
      await channel.close();
      await removeTree(this.options.paths.liveDir(id));
      throw error;
    }
    return channel;
  }

  async start(id: string): Promise<LiveChannel | LlChannel> {
    const channel = this.get(id);
    if (!channel.isActive) this.assertBelowCap();
    channel.record.desired = 'running';
    await channel.persist();
    await this.startCapped(channel);
    return channel;
  }

  /** Channels whose ffmpeg runs or is being started. */
  get activeCount(): number {
    let count = this.starting;
    for (const channel of this.channels.values()) if (channel.isActive) count++;
    return count;
  }

  private assertBelowCap(): void {
    const max = this.options.config.MAX_LIVE_CHANNELS;
    if (this.activeCount >= max) {
      throw new BusyError(
        'too_many_channels',
        `${max} live channels are running already (MAX_LIVE_CHANNELS); stop one first`,
        LIVE_RETRY_AFTER_SEC,
      );
    }
  }

  /** Start a channel's ffmpeg unless MAX_LIVE_CHANNELS run already (checked and counted at once). */
  private async startCapped(channel: LiveChannel | LlChannel): Promise<void> {
    if (channel.isActive) return;
    this.assertBelowCap();
    this.starting++;
    try {
      await channel.start();
    } finally {
      this.starting--;
    }
  }

  async stop(id: string): Promise<LiveChannel | LlChannel> {
    const channel = this.get(id);
    await channel.stop(true);
    return channel;
  }

  async delete(id: string): Promise<void> {
    const channel = this.get(id);
    this.channels.delete(id);
    await channel.close();
    const dir = this.options.paths.liveDir(id);
    const trash = join(this.options.paths.tmp, `deleted-live-${id}-${randomToken(4)}`);
    await mkdir(this.options.paths.tmp, { recursive: true });
    await rename(dir, trash).catch(() => undefined);
    await removeTree(trash);
  }

  /** Stop every channel's ffmpeg (the channels that should run start again next time). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.channels.values()].map((channel) => channel.close()));
  }

  private newId(): string {
    for (;;) {
      const id = `live-${randomToken(6)}`;
      if (!this.channels.has(id) && !this.takenElsewhere(id)) return id;
    }
  }

  /** A `file` source must name an existing media file inside LIVE_SOURCES_DIR. */
  private async resolveSource(source: CreateChannelRequest['source']): Promise<LiveSource> {
    if (source.type !== 'file') return source;
    const base = this.options.config.LIVE_SOURCES_DIR;
    const path = resolve(base, source.path);
    if (source.path.includes('\0') || !isInside(base, path)) {
      throw badRequest('bad_source_path', 'the source path must be inside the live sources folder');
    }
    const info = await stat(path).catch(() => null);
    // A symlink inside the folder must not lead out of it either.
    const real = info?.isFile() ? await realpath(path) : null;
    const realBase = await realpath(base).catch(() => base);
    if (real === null) {
      throw badRequest('source_not_found', `no file "${source.path}" in the live sources folder`);
    }
    if (!isInside(realBase, real)) {
      throw badRequest('bad_source_path', 'the source path must be inside the live sources folder');
    }
    await probeFile(this.options.binaries.ffprobe, path);
    return { type: 'file', path };
  }

  private makeChannel(record: ChannelRecord): LiveChannel | LlChannel {
    const options = {
      dir: this.options.paths.liveDir(record.id),
      binaries: this.options.binaries,
      config: this.options.config,
      integrityKey: this.options.integrityKey,
      logger: this.options.logger,
      metrics: this.options.metrics,
      allocatePort: (protocol: 'tcp' | 'udp', preferred?: number) =>
        this.allocatePort(protocol, preferred),
      loopbackPort,
    };
    const { lowLatency } = record;
    return lowLatency === undefined
      ? new LiveChannel(record, options)
      : new LlChannel({ ...record, lowLatency }, options);
  }

  private async allocatePort(protocol: 'tcp' | 'udp', preferred?: number): Promise<number> {
    const { first, last } = this.options.config.LIVE_INGEST_PORTS;
    const host = this.options.config.LIVE_INGEST_HOST;
    const used = new Set(
      [...this.channels.values()]
        .filter((channel) => channel.isActive)
        .map((channel) => channel.record.ingestPort),
    );
    const candidates = preferred !== undefined ? [preferred] : [];
    for (let port = first; port <= last; port++) candidates.push(port);
    for (const port of candidates) {
      if (port < first || port > last || used.has(port)) continue;
      if (await canBind(protocol, host, port)) return port;
    }
    throw new OriginError(
      'no_ingest_port',
      `no free ingest port in LIVE_INGEST_PORTS (${first}-${last})`,
      503,
    );
  }
}
