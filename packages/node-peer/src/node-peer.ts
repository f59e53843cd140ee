import {
  CoralEngine,
  HeadlessPlayer,
  type EngineConfig,
  type EngineStats,
  type HeadlessPlayerOptions,
  type HeadlessPlayerStats,
} from '@coral-cdn/p2p-engine';
import type { PlaybackInfo } from '@coral-cdn/protocol';
import { createDataFrameCorrupter, type CorruptionCounters } from './corrupt.js';
import { NodePeerError } from './errors.js';
import { fetchPlaybackInfo } from './playback-info.js';
import { PartFollower, type PartFollowerStats } from './part-follower.js';
import { createNodePlatform, type NodePlatformOptions } from './platform.js';
import { chooseRendition } from './rendition.js';

/**
 * - `watch`: play like a viewer (live: from the live edge; VOD: from the start), sharing what
 *   it holds while it plays;
 * - `seed`: load everything it can as fast as it can (a whole VOD; a live window as it comes)
 *   and stay, uploading to others;
 * - `corrupt`: a test mode for the bad-peer case: behaves as `seed` but flips the bytes of every
 *   segment it uploads (and nothing else), so receivers must catch it.
 */
export type NodePeerMode = 'watch' | 'seed' | 'corrupt';

/** Start from the origin's playback API (the normal way). */
export interface OriginSource {
  originUrl: string;
  /** Video or live channel id. */
  streamId: string;
  /** Passed as `?region=` so the origin picks that region's edge. */
  region?: string;
}

/** Start from known URLs (what the playback API would have answered). */
export interface ExplicitSource {
  /** Master playlist (or a media playlist) URL. */
  manifestUrl: string;
  trackerUrl: string;
  token: string;
  /** base64url raw Ed25519 key that signs the integrity manifests. */
  publicKey: string;
  /** Stream id: tracker swarms are `<swarmId>/<rendition>`. */
  swarmId: string;
}

export type StreamSource = OriginSource | ExplicitSource;

export interface NodePeerOptions {
  source: StreamSource;
  /** Rendition name (`240p`); default: the lowest-bandwidth one in the master playlist. */
  rendition?: string;
  mode?: NodePeerMode;
  /** Upload cap, kbit/s: the engine's cap and what it announces to the tracker. */
  uploadKbps?: number;
  /**
   * Region for the engine (tracker matching) and the playback API; default: the source's
   * region, else the region of the edge the origin chose.
   */
  region?: string;
  /** Engine settings over the node peer's defaults. */
  engine?: Partial<EngineConfig>;
  /** Player settings over the mode's defaults. */
  player?: Partial<Omit<HeadlessPlayerOptions, 'playlistUrl' | 'rendition'>>;
  /**
   * Follow an LL-HLS channel part by part at the live edge (as hls.js in low-latency mode),
   * instead of playing segments: the peer then holds LL parts and offers them to peers (in
   * `corrupt` mode, flipped).
   */
  parts?: boolean;
  platform?: Omit<NodePlatformOptions, 'transformOutgoing'>;
}

export type NodePeerState = 'new' | 'starting' | 'running' | 'ended' | 'failed' | 'destroyed';

export interface NodePeerStats {
  mode: NodePeerMode;
  state: NodePeerState;
  /** The tracker's id for this peer (null until joined). */
  peerId: string | null;
  streamId: string | null;
  rendition: string | null;
  /** Why the peer failed to start (state `failed`). */
  error: string | null;
  engine: EngineStats | null;
  player: HeadlessPlayerStats | null;
  /** Corrupt mode: what was flipped. */
  corrupted: CorruptionCounters | null;
  /** Following LL parts (`parts`): what it loaded. */
  parts: PartFollowerStats | null;
}

/** Defaults that suit werift (measured werift↔werift and werift↔Chromium on loopback). */
export const nodePeerEngineDefaults: Partial<EngineConfig> = {
  // werift advertises (and accepts) a 64 KiB SCTP max-message-size, as Chromium does.
  maxMessageBytes: 64 * 1024,
  // Larger send buffers only burn CPU in werift's SCTP.
  bufferedHighWaterBytes: 256 * 1024,
  bufferedLowWaterBytes: 64 * 1024,
};

const seedPlayerDefaults: Partial<HeadlessPlayerOptions> = {
  // Load everything available, not just a player's buffer.
  bufferTargetSec: Number.POSITIVE_INFINITY,
  liveSyncSegments: Number.MAX_SAFE_INTEGER,
};

/**
 * One headless viewer: the P2P engine on werift plus the engine's HeadlessPlayer playing one
 * rendition of a stream in real time without decoding. `start()` resolves once playback has
 * begun loading; `stats()` reads its figures at any time; `destroy()` stops it (idempotent).
 */
export class NodePeer {
  readonly mode: NodePeerMode;
  private engineInstance: CoralEngine | null = null;
  private player: HeadlessPlayer | null = null;
  private partFollower: PartFollower | null = null;
  private corrupter: ReturnType<typeof createDataFrameCorrupter> | null = null;
  private readonly abort = new AbortController();
  private state: NodePeerState = 'new';
  private failure: string | null = null;
  private streamId: string | null = null;
  private rendition: string | null = null;

  constructor(private readonly options: NodePeerOptions) {
    this.mode = options.mode ?? 'watch';
  }

  /** The engine, once started (for its events: `peer-connected`, `peer-closed`, …). */
  get engine(): CoralEngine | null {
    return this.engineInstance;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new NodePeerError('started', `peer is ${this.state}`);
    this.state = 'starting';
    try {
      await this.startInner();
      if (this.isDestroyed()) return;
      this.state = 'running';
    } catch (error) {
      if (this.isDestroyed()) return;
      this.state = 'failed';
      this.failure = error instanceof Error ? error.message : String(error);
      this.teardown();
      throw error;
    }
  }

  stats(): NodePeerStats {
    const player = this.player ? { ...this.player.stats } : null;
    // A watcher is done when its VOD has played to the end; a seeder stays to upload.
    if (this.state === 'running' && this.mode === 'watch' && player?.ended) this.state = 'ended';
    return {
      mode: this.mode,
      state: this.state,
      peerId: this.engineInstance?.peerId ?? null,
      streamId: this.streamId,
      rendition: this.rendition,
      error: this.failure,
      engine: this.engineInstance?.stats ?? null,
      player,
      corrupted: this.corrupter ? { ...this.corrupter.counters } : null,
      parts: this.partFollower?.stats ?? null,
    };
  }

  /** Stop playing, close every connection and the tracker socket. Idempotent. */
  destroy(): void {
    if (this.isDestroyed()) return;
    this.state = 'destroyed';
    this.abort.abort();
    this.teardown();
  }

  private isDestroyed(): boolean {
    return this.state === 'destroyed';
  }

  private async startInner(): Promise<void> {
    const { source } = this.options;
    const signal = this.abort.signal;
    let region = this.options.region ?? ('originUrl' in source ? source.region : undefined);
    let stream: Pick<
      PlaybackInfo,
      | 'manifestUrl'
      | 'trackerUrl'
      | 'token'
      | 'publicKey'
      | 'swarmId'
      | 'iceServers'
      | 'relayAllowed'
    >;
    if ('originUrl' in source) {
      const info = await fetchPlaybackInfo({
        originUrl: source.originUrl,
        streamId: source.streamId,
        signal,
        ...(region !== undefined ? { region } : {}),
      });
      // Without a region of its own, the peer is where the origin placed it.
      region ??= info.edge.region;
      stream = info;
    } else {
      stream = source;
    }
    this.throwIfDestroyed();
    const choice = await chooseRendition(stream.manifestUrl, this.options.rendition, signal);
    this.throwIfDestroyed();
    this.streamId = stream.swarmId;
    this.rendition = choice.rendition;

    this.corrupter = this.mode === 'corrupt' ? createDataFrameCorrupter() : null;
    const platform = createNodePlatform({
      // The origin's STUN/TURN servers (fresh TURN credentials) unless the caller set its own.
      ...(stream.iceServers?.length ? { iceServers: stream.iceServers } : {}),
      ...this.options.platform,
      ...(this.corrupter ? { transformOutgoing: this.corrupter.transform } : {}),
    });
    const uploadKbps = this.options.uploadKbps;
    const engine = new CoralEngine(
      platform,
      {
        streamId: stream.swarmId,
        trackerUrl: stream.trackerUrl,
        token: stream.token,
        publicKey: stream.publicKey,
        ...('originUrl' in source
          ? {
              // Long-running peers outlive the token: ask the origin again when refused.
              refreshToken: async () =>
                (
                  await fetchPlaybackInfo({
                    originUrl: source.originUrl,
                    streamId: source.streamId,
                    signal: this.abort.signal,
                    ...(region !== undefined ? { region } : {}),
                  })
                ).token,
            }
          : {}),
      },
      {
        ...nodePeerEngineDefaults,
        // The operator's relay policy (absent: no relayed peer traffic).
        relayAllowed: stream.relayAllowed ?? false,
        // A watcher keeps what it plays for a while; a seeder keeps a whole VOD.
        segmentMemoryBytes: this.mode === 'watch' ? 16 * 1024 * 1024 : 96 * 1024 * 1024,
        ...(region !== undefined ? { region } : {}),
        ...(uploadKbps !== undefined
          ? { announcedUploadKbps: uploadKbps, uploadCapBitsPerSec: uploadKbps * 1000 }
          : {}),
        ...this.options.engine,
      },
    );
    this.engineInstance = engine;
    engine.start();
    if (this.options.parts) {
      this.partFollower = new PartFollower(engine, platform, {
        playlistUrl: choice.playlistUrl,
        rendition: choice.rendition,
      });
      await this.partFollower.start();
      return;
    }
    const player = new HeadlessPlayer(engine, platform, {
      ...(this.mode === 'watch' ? {} : seedPlayerDefaults),
      ...this.options.player,
      playlistUrl: choice.playlistUrl,
      rendition: choice.rendition,
    });
    this.player = player;
    await player.start();
  }

  private throwIfDestroyed(): void {
    if (this.isDestroyed()) throw new NodePeerError('destroyed', 'peer destroyed while starting');
  }

  private teardown(): void {
    this.partFollower?.destroy();
    this.player?.destroy();
    this.engineInstance?.destroy();
  }
}
