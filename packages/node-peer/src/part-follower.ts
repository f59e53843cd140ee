import type { CoralEngine, EnginePlatform, TimerId } from '@coral-cdn/p2p-engine';
import { parseLlPlaylist, type LlPart } from './ll-playlist.js';

/** What the follower drives of the engine. */
export type PartEngine = Pick<
  CoralEngine,
  'setPlaylist' | 'setActiveRendition' | 'setPlayback' | 'reportStartup' | 'loadPart'
>;

export interface PartFollowerOptions {
  playlistUrl: string;
  rendition: string;
  /** Playlist reload period. */
  pollMs?: number;
  /** How far behind the newest part the playhead sits, in part targets (PART-HOLD-BACK). */
  holdBackParts?: number;
}

export interface PartFollowerStats {
  partsLoaded: number;
  partErrors: number;
}

/** Loaded parts remembered (a live window lists a few dozen). */
const MAX_REMEMBERED = 256;
/** Sequences whose start is remembered. */
const MAX_STARTS = 64;

function resolve(playlistUrl: string, uri: string): string {
  const path = playlistUrl.split('?')[0]!;
  return path.slice(0, path.lastIndexOf('/') + 1) + uri;
}

/**
 * Watches an LL-HLS channel part by part as hls.js in low-latency mode does, without decoding:
 * reloads the media playlist, keeps the playhead PART-HOLD-BACK behind the newest part, and
 * asks the engine for each new part (`loadPart`), so the engine holds parts and offers them to
 * peers. It plays nothing and stalls never; it is there to hold and upload parts.
 */
export class PartFollower {
  private readonly starts = new Map<number, number>();
  private readonly loaded = new Set<string>();
  private readonly cancels = new Set<() => void>();
  private timer: TimerId | null = null;
  /** The next reload asks for the part after this one (a blocking reload). */
  private newest: LlPart | null = null;
  /** The channel ended: nothing more to reload. */
  private ended = false;
  private started = false;
  private destroyed = false;
  private readonly counters: PartFollowerStats = { partsLoaded: 0, partErrors: 0 };

  constructor(
    private readonly engine: PartEngine,
    private readonly platform: Pick<EnginePlatform, 'clock' | 'http'>,
    private readonly options: PartFollowerOptions,
  ) {}

  get stats(): PartFollowerStats {
    return { ...this.counters };
  }

  /** Load the playlist once (throws when it cannot), then keep following. */
  async start(): Promise<void> {
    await this.reload();
    this.engine.setActiveRendition(this.options.rendition);
    this.engine.reportStartup(0);
    this.schedule();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.timer !== null) this.platform.clock.clearTimeout(this.timer);
    for (const cancel of [...this.cancels]) cancel();
    this.cancels.clear();
  }

  /** Reload at once after an answer (it was held until the next part), a while after a failure. */
  private schedule(delayMs = 0): void {
    if (this.destroyed || this.ended) return;
    this.timer = this.platform.clock.setTimeout(() => {
      this.timer = null;
      void this.reload().then(
        () => this.schedule(),
        () => this.schedule(this.options.pollMs ?? 250),
      );
    }, delayMs);
  }

  private async reload(): Promise<void> {
    const { playlistUrl, rendition } = this.options;
    // As hls.js in low-latency mode: the origin holds the request until the next part exists.
    const next = this.newest ?? null;
    const url = next
      ? `${playlistUrl}?_HLS_msn=${next.sequence}&_HLS_part=${next.part + 1}`
      : playlistUrl;
    const response = await this.platform.http.get({ url }).promise;
    if (this.destroyed) return;
    let playlist = parseLlPlaylist(new TextDecoder().decode(response.bytes), this.starts);
    if (!playlist && this.starts.size > 0) {
      // Nothing in common with what was known (a long pause): start the timeline over.
      this.starts.clear();
      playlist = parseLlPlaylist(new TextDecoder().decode(response.bytes), this.starts);
    }
    if (!playlist) throw new Error(`${playlistUrl}: not a media playlist`);
    for (const item of [...playlist.segments, ...playlist.parts.filter((p) => p.part === 0)])
      this.starts.set(item.sequence, item.startSec);
    while (this.starts.size > MAX_STARTS) this.starts.delete(this.starts.keys().next().value!);
    this.engine.setPlaylist({
      rendition,
      playlistUrl,
      live: !playlist.ended,
      segments: playlist.segments.map((s) => ({
        sequence: s.sequence,
        url: resolve(playlistUrl, s.uri),
        startSec: s.startSec,
        durationSec: s.durationSec,
      })),
    });
    const newest = playlist.parts.at(-1);
    this.ended = playlist.ended;
    this.newest = newest ?? null;
    if (!newest) return;
    const partTargetSec = playlist.partTargetSec ?? newest.durationSec;
    const positionSec =
      newest.startSec + newest.durationSec - (this.options.holdBackParts ?? 3) * partTargetSec;
    this.engine.setPlayback({ positionSec, rate: 1 });
    // Every part from the one under the playhead on, as a player in low-latency mode loads.
    for (const part of playlist.parts)
      if (part.startSec + part.durationSec > positionSec) this.load(part);
  }

  private load(part: LlPart): void {
    const key = `${part.sequence}.${part.part}`;
    if (this.destroyed || this.loaded.has(key)) return;
    this.loaded.add(key);
    while (this.loaded.size > MAX_REMEMBERED)
      this.loaded.delete(this.loaded.values().next().value!);
    const load = this.engine.loadPart({
      rendition: this.options.rendition,
      sequence: part.sequence,
      part: part.part,
      url: resolve(this.options.playlistUrl, part.uri),
      startSec: part.startSec,
    });
    this.cancels.add(load.cancel);
    void load.promise.then(
      () => {
        this.cancels.delete(load.cancel);
        this.counters.partsLoaded++;
      },
      () => {
        this.cancels.delete(load.cancel);
        if (!this.destroyed) this.counters.partErrors++;
      },
    );
  }
}
