import {
  sha256Hex,
  signLiveInit,
  signLiveSegment,
  signVodManifest,
  type CryptoKeyLike,
  type LiveSegmentEntry,
  type SegmentEntry,
  type SubtleCryptoLike,
} from '@coral-cdn/protocol';

export const CDN_BASE = 'https://cdn.sim';

export interface Rendition {
  readonly name: string;
  readonly bitrateBitsPerSec: number;
}

/** What the CDN serves for a URL: the bytes an engine sees, and the bytes the wire carries. */
export interface CdnObject {
  readonly bytes: Uint8Array;
  readonly wireBytes: number;
  readonly rendition: string | null;
}

export interface StreamOptions {
  readonly streamId: string;
  readonly live: boolean;
  readonly renditions: readonly Rendition[];
  readonly segmentDurationSec: number;
  /** Live: segments in the playlist window. VOD: segments in the clip. */
  readonly segments: number;
  /** Each payload byte of a segment stands for this many bytes on the wire. */
  readonly byteScale: number;
}

const encoder = new TextEncoder();

/** Deterministic pseudo-random bytes (xorshift): every viewer and the CDN agree. */
export function payloadBytes(seed: number, sizeBytes: number): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  let x = Math.imul(seed, 2654435761) >>> 0 || 1;
  for (let i = 0; i < sizeBytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

interface RenditionState {
  readonly rendition: Rendition;
  readonly base: string;
  readonly segments: Map<number, Uint8Array>;
  readonly signed: LiveSegmentEntry[];
  playlist: Uint8Array;
  manifest: Uint8Array;
}

/**
 * The origin and its packaging, reduced to what viewers fetch: per rendition a media playlist,
 * segments (payloads of `bitrate × duration / 8 / byteScale` bytes) and the signed integrity
 * manifest. Live publishes one segment per `segmentDurationSec` and slides its window; VOD has
 * every segment from the start.
 */
export class SimStream {
  private readonly states = new Map<string, RenditionState>();
  private nextSequence = 0;

  private constructor(
    readonly options: StreamOptions,
    private readonly subtle: SubtleCryptoLike,
    private readonly signingKey: CryptoKeyLike,
  ) {
    for (const rendition of options.renditions) {
      const kind = options.live ? 'live' : 'vod';
      this.states.set(rendition.name, {
        rendition,
        base: `${CDN_BASE}/${kind}/${options.streamId}/${rendition.name}/`,
        segments: new Map(),
        signed: [],
        playlist: new Uint8Array(0),
        manifest: new Uint8Array(0),
      });
    }
  }

  static async create(
    options: StreamOptions,
    subtle: SubtleCryptoLike,
    signingKey: CryptoKeyLike,
  ): Promise<SimStream> {
    const stream = new SimStream(options, subtle, signingKey);
    if (!options.live) await stream.packageVod();
    return stream;
  }

  get newestSequence(): number {
    return this.nextSequence - 1;
  }

  playlistUrl(rendition: string): string {
    return `${this.state(rendition).base}index.m3u8`;
  }

  /** Real bytes of one segment of a rendition. */
  segmentRealBytes(rendition: Rendition): number {
    return Math.round((rendition.bitrateBitsPerSec * this.options.segmentDurationSec) / 8);
  }

  /** Live: publish the next segment on every rendition. */
  async publish(): Promise<void> {
    const sequence = this.nextSequence++;
    for (const state of this.states.values()) {
      const bytes = this.segmentPayload(state.rendition, sequence);
      state.segments.set(sequence, bytes);
      state.signed.push(
        await signLiveSegment(
          this.subtle,
          this.signingKey,
          this.options.streamId,
          state.rendition.name,
          await this.entryOf(sequence, bytes),
        ),
      );
      const first = sequence - this.options.segments + 1;
      // Keep a little behind the window for late requests, as an edge cache does.
      state.segments.delete(first - this.options.segments);
      while (state.signed.length > 0 && state.signed[0]!.sequence < first) state.signed.shift();
      const init = await signLiveInit(
        this.subtle,
        this.signingKey,
        this.options.streamId,
        state.rendition.name,
        {
          uri: 'init.mp4',
          sha256: await sha256Hex(this.subtle, new Uint8Array([1])),
          sizeBytes: 1,
        },
      );
      state.manifest = encoder.encode(
        JSON.stringify({
          v: 1,
          kind: 'live',
          streamId: this.options.streamId,
          rendition: state.rendition.name,
          init,
          segments: state.signed,
        }),
      );
      state.playlist = encoder.encode(this.playlistText(Math.max(0, first), sequence, false));
    }
  }

  /** What the CDN answers for `url` (undefined: 404). */
  object(url: string): CdnObject | undefined {
    const slash = url.lastIndexOf('/');
    const base = url.slice(0, slash + 1);
    const name = url.slice(slash + 1);
    for (const state of this.states.values()) {
      if (state.base !== base) continue;
      if (name === 'index.m3u8')
        return { bytes: state.playlist, wireBytes: state.playlist.byteLength, rendition: null };
      if (name === 'integrity.json')
        return { bytes: state.manifest, wireBytes: state.manifest.byteLength, rendition: null };
      const match = /^seg_(\d+)\.m4s$/.exec(name);
      const bytes = match ? state.segments.get(Number(match[1])) : undefined;
      if (!bytes) return undefined;
      return {
        bytes,
        wireBytes: bytes.byteLength * this.options.byteScale,
        rendition: state.rendition.name,
      };
    }
    return undefined;
  }

  private state(rendition: string): RenditionState {
    const state = this.states.get(rendition);
    if (!state) throw new RangeError(`no rendition ${rendition}`);
    return state;
  }

  private segmentPayload(rendition: Rendition, sequence: number): Uint8Array {
    const size = Math.max(1, Math.ceil(this.segmentRealBytes(rendition) / this.options.byteScale));
    return payloadBytes(sequence * 64 + rendition.bitrateBitsPerSec, size);
  }

  private async entryOf(sequence: number, bytes: Uint8Array): Promise<SegmentEntry> {
    return {
      sequence,
      uri: segmentName(sequence),
      sha256: await sha256Hex(this.subtle, bytes),
      sizeBytes: bytes.byteLength,
      durationSec: this.options.segmentDurationSec,
    };
  }

  private playlistText(first: number, last: number, endList: boolean): string {
    const duration = this.options.segmentDurationSec;
    const lines = [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      `#EXT-X-TARGETDURATION:${Math.ceil(duration)}`,
      `#EXT-X-MEDIA-SEQUENCE:${first}`,
    ];
    for (let sequence = first; sequence <= last; sequence++)
      lines.push(`#EXTINF:${duration.toFixed(3)},`, segmentName(sequence));
    if (endList) lines.push('#EXT-X-ENDLIST');
    return lines.join('\n') + '\n';
  }

  private async packageVod(): Promise<void> {
    const count = this.options.segments;
    this.nextSequence = count;
    for (const state of this.states.values()) {
      const entries: SegmentEntry[] = [];
      for (let sequence = 0; sequence < count; sequence++) {
        const bytes = this.segmentPayload(state.rendition, sequence);
        state.segments.set(sequence, bytes);
        entries.push(await this.entryOf(sequence, bytes));
      }
      const manifest = await signVodManifest(this.subtle, this.signingKey, {
        v: 1,
        kind: 'vod',
        streamId: this.options.streamId,
        rendition: state.rendition.name,
        init: null,
        segments: entries,
      });
      state.manifest = encoder.encode(JSON.stringify(manifest));
      state.playlist = encoder.encode(this.playlistText(0, count - 1, true));
    }
  }
}

function segmentName(sequence: number): string {
  return `seg_${String(sequence).padStart(5, '0')}.m4s`;
}
