import {
  resolveEngineConfig,
  type Cancelable,
  type EngineConfig,
  type EngineStats,
  type PlaybackUpdate,
  type PlaylistUpdate,
  type PartRequest,
  type PartResult,
  type SegmentRequest,
  type SegmentResult,
  type TransferTiming,
} from '@coral-cdn/p2p-engine';
import type { CoralEngineLike } from './integration.js';
import { emptyEngineStats } from './stats.js';

/** Segments hls.js fetched before the engine existed that are handed to it (for sharing). */
const MAX_EARLY_SEGMENTS = 16;

interface EarlySegment {
  readonly request: SegmentRequest;
  readonly bytes: Uint8Array;
  readonly timing: TransferTiming;
}

/**
 * Stands in for the engine while the playback info (tracker, token, signing key) is on its way,
 * so that hls.js can start on the manifest URL at once: until then every segment is left to
 * hls.js's own loader (as before the first frame anyway) and what the player says is kept, to
 * be handed to the engine when it exists. If the engine never comes (no playback info, no
 * WebRTC), it stays a P2P-off stand-in: hls.js plays on from the CDN.
 */
export class DeferredEngine implements CoralEngineLike {
  private engine: CoralEngineLike | null = null;
  private off = false;
  private readonly pendingConfig: EngineConfig;
  private readonly playlists = new Map<string, PlaylistUpdate>();
  private activeRendition: string | null = null;
  private playback: PlaybackUpdate | null = null;
  private startupMs: number | null = null;
  private stalled = false;
  private early: EarlySegment[] = [];
  private earlyBytes = 0;
  private earlyCount = 0;

  constructor(overrides: Partial<EngineConfig> = {}) {
    this.pendingConfig = resolveEngineConfig({ ...overrides, p2pEnabled: true });
  }

  /** The engine that arrived, or null while waiting or with P2P off. */
  get current(): CoralEngineLike | null {
    return this.engine;
  }

  get waiting(): boolean {
    return this.engine === null && !this.off;
  }

  /** Hand over to `engine`: it hears everything the player said so far, then all that follows. */
  resolve(engine: CoralEngineLike): void {
    if (!this.waiting) throw new Error('DeferredEngine: already resolved or turned off');
    this.engine = engine;
    for (const update of this.playlists.values()) engine.setPlaylist(update);
    if (this.activeRendition !== null) engine.setActiveRendition(this.activeRendition);
    if (this.playback) engine.setPlayback(this.playback);
    for (const { request, bytes, timing } of this.early)
      engine.adoptSegment(request, bytes, timing);
    if (this.startupMs !== null) engine.reportStartup(this.startupMs);
    if (this.stalled) engine.reportStall(true);
    this.forget();
  }

  /** No engine will come: P2P stays off, hls.js loads everything itself. */
  turnOff(): void {
    if (!this.waiting) return;
    this.off = true;
    this.forget();
  }

  get config(): EngineConfig {
    if (this.engine) return this.engine.config;
    return this.off ? { ...this.pendingConfig, p2pEnabled: false } : this.pendingConfig;
  }

  get stats(): EngineStats {
    if (this.engine) return this.engine.stats;
    const stats = emptyEngineStats();
    stats.httpBytes = this.earlyBytes;
    stats.segmentsFromHttp = this.earlyCount;
    stats.cdnReasons.startup = this.earlyCount;
    stats.startupMs = this.startupMs;
    stats.p2pEnabled = !this.off;
    return stats;
  }

  setPlaylist(update: PlaylistUpdate): void {
    if (this.engine) return this.engine.setPlaylist(update);
    if (this.waiting) this.playlists.set(update.rendition, update);
  }

  setActiveRendition(rendition: string): void {
    if (this.engine) return this.engine.setActiveRendition(rendition);
    this.activeRendition = rendition;
  }

  setPlayback(update: PlaybackUpdate): void {
    if (this.engine) return this.engine.setPlayback(update);
    this.playback = update;
  }

  /** Before the engine, every segment is the player's to fetch (and then adopted). */
  leavesToPlayer(request: Pick<SegmentRequest, 'rendition' | 'sequence'>): boolean {
    return this.engine ? this.engine.leavesToPlayer(request) : true;
  }

  adoptSegment(request: SegmentRequest, bytes: Uint8Array, timing: TransferTiming): void {
    if (this.engine) return this.engine.adoptSegment(request, bytes, timing);
    this.earlyBytes += bytes.byteLength;
    this.earlyCount++;
    if (!this.waiting) return;
    this.early.push({ request, bytes, timing });
    if (this.early.length > MAX_EARLY_SEGMENTS) this.early.shift();
  }

  loadSegment(request: SegmentRequest): Cancelable<SegmentResult> {
    if (this.engine) return this.engine.loadSegment(request);
    // `leavesToPlayer` is true until the engine exists, so the loader never asks.
    throw new Error(`DeferredEngine: no engine yet for ${request.rendition}/${request.sequence}`);
  }

  /** Parts are routed here only once the engine exists (`waiting` is false). */
  loadPart(request: PartRequest): Cancelable<PartResult> {
    if (this.engine?.loadPart) return this.engine.loadPart(request);
    throw new Error(
      `DeferredEngine: no engine yet for part ${request.rendition}/${request.sequence}`,
    );
  }

  reportStartup(startupMs: number): void {
    if (this.engine) return this.engine.reportStartup(startupMs);
    this.startupMs ??= startupMs;
  }

  reportStall(stalled: boolean): void {
    if (this.engine) return this.engine.reportStall(stalled);
    this.stalled = stalled;
  }

  private forget(): void {
    this.playlists.clear();
    this.early = [];
    this.playback = null;
  }
}
