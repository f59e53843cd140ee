import { generateKeyPairSync } from 'node:crypto';
import {
  sha256Hex,
  signLiveInit,
  signLiveSegment,
  signVodManifest,
  type LiveSegmentEntry,
  type SegmentEntry,
} from '@coral-cdn/protocol';
import { nodeSubtle, privateKeyLike } from './node-subtle.js';

export const CDN_BASE = 'https://cdn.sim';

/** Deterministic pseudo-random bytes (xorshift), so every peer and the CDN agree. */
export function segmentBytes(seed: number, sizeBytes: number): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < sizeBytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const keys = generateKeyPairSync('ed25519');
export const signingKey = privateKeyLike(keys.privateKey);
export const publicKeyBase64Url = keys.publicKey.export({ format: 'jwk' }).x!;
const encoder = new TextEncoder();

export interface SegmentFixture {
  sequence: number;
  url: string;
  bytes: Uint8Array;
  startSec: number;
  durationSec: number;
}

function playlistText(
  segments: SegmentFixture[],
  targetDurationSec: number,
  endList: boolean,
): string {
  const first = segments[0]?.sequence ?? 0;
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${targetDurationSec}`,
    `#EXT-X-MEDIA-SEQUENCE:${first}`,
  ];
  for (const segment of segments)
    lines.push(
      `#EXTINF:${segment.durationSec.toFixed(3)},`,
      segment.url.slice(segment.url.lastIndexOf('/') + 1),
    );
  if (endList) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

/** The playlist with comment lines after its first line, `paddingBytes` more in all. */
function withPadding(playlist: string, paddingBytes: number): string {
  if (paddingBytes <= 0) return playlist;
  const line = `#${'x'.repeat(1023)}\n`;
  const head = playlist.indexOf('\n') + 1;
  return (
    playlist.slice(0, head) + line.repeat(Math.ceil(paddingBytes / 1024)) + playlist.slice(head)
  );
}

async function entryOf(segment: SegmentFixture): Promise<SegmentEntry> {
  return {
    sequence: segment.sequence,
    uri: segment.url.slice(segment.url.lastIndexOf('/') + 1),
    sha256: await sha256Hex(nodeSubtle, segment.bytes),
    sizeBytes: segment.bytes.byteLength,
    durationSec: segment.durationSec,
  };
}

/** A VOD rendition: segments, a signed manifest and a playlist, served by URL. */
export class VodFixture {
  readonly segments: SegmentFixture[] = [];
  readonly playlistUrl: string;
  private readonly objects = new Map<string, Uint8Array>();

  private constructor(
    readonly streamId: string,
    readonly rendition: string,
  ) {
    this.playlistUrl = `${CDN_BASE}/vod/${streamId}/${rendition}/index.m3u8`;
  }

  static async create(options: {
    streamId?: string;
    rendition?: string;
    count: number;
    sizeBytes: number;
    durationSec?: number;
  }): Promise<VodFixture> {
    const fixture = new VodFixture(options.streamId ?? 'demo', options.rendition ?? '240p');
    const durationSec = options.durationSec ?? 2;
    for (let sequence = 0; sequence < options.count; sequence++) {
      const url = `${CDN_BASE}/vod/${fixture.streamId}/${fixture.rendition}/seg_${String(sequence).padStart(5, '0')}.m4s`;
      const bytes = segmentBytes(sequence + 1, options.sizeBytes);
      fixture.segments.push({
        sequence,
        url,
        bytes,
        startSec: sequence * durationSec,
        durationSec,
      });
      fixture.objects.set(url, bytes);
    }
    const manifest = await signVodManifest(nodeSubtle, signingKey, {
      v: 1,
      kind: 'vod',
      streamId: fixture.streamId,
      rendition: fixture.rendition,
      init: null,
      segments: await Promise.all(fixture.segments.map(entryOf)),
    });
    fixture.objects.set(
      `${CDN_BASE}/vod/${fixture.streamId}/${fixture.rendition}/integrity.json`,
      encoder.encode(JSON.stringify(manifest)),
    );
    fixture.objects.set(
      fixture.playlistUrl,
      encoder.encode(playlistText(fixture.segments, Math.ceil(durationSec), true)),
    );
    return fixture;
  }

  content = (url: string): Uint8Array | undefined => this.objects.get(url);
}

/** A live rendition: `publish()` adds a segment, slides the window and signs it. */
export class LiveFixture {
  readonly segments: SegmentFixture[] = [];
  readonly playlistUrl: string;
  private readonly signed: LiveSegmentEntry[] = [];
  private manifestText = '';
  /** The playlist served now, encoded once per publication (it can be a megabyte). */
  private playlist = new Uint8Array(0);
  private nextSequence = 0;

  constructor(
    readonly streamId = 'live',
    readonly rendition = '240p',
    readonly sizeBytes = 64 * 1024,
    readonly durationSec = 2,
    readonly windowSize = 6,
    /** Segment file name by sequence (default `seg_00012.m4s`). */
    private readonly segmentName = (sequence: number) =>
      `seg_${String(sequence).padStart(5, '0')}.m4s`,
    /** Comment lines at the head of the playlist, to make it this much larger. */
    private readonly playlistPaddingBytes = 0,
  ) {
    this.playlistUrl = `${CDN_BASE}/live/${streamId}/${rendition}/index.m3u8`;
  }

  get window(): SegmentFixture[] {
    return this.segments.slice(-this.windowSize);
  }

  /** A manifest built but not served yet (`publish({ manifestLate: true })`). */
  private lateManifestText: string | null = null;

  /**
   * Publish the next segment. `manifestLate`: the playlist shows it at once, the integrity
   * manifest only after `releaseManifest()`, as when an edge serves a manifest it cached just
   * before the segment was signed (both cached separately, each for up to a second).
   * `bytes`: the segment's bytes (default: made up from its sequence).
   */
  async publish(
    options: { manifestLate?: boolean; bytes?: Uint8Array } = {},
  ): Promise<SegmentFixture> {
    const sequence = this.nextSequence++;
    const segment: SegmentFixture = {
      sequence,
      url: `${CDN_BASE}/live/${this.streamId}/${this.rendition}/${this.segmentName(sequence)}`,
      bytes: options.bytes ?? segmentBytes(1000 + sequence, this.sizeBytes),
      startSec: sequence * this.durationSec,
      durationSec: this.durationSec,
    };
    this.segments.push(segment);
    this.signed.push(
      await signLiveSegment(
        nodeSubtle,
        signingKey,
        this.streamId,
        this.rendition,
        await entryOf(segment),
      ),
    );
    const windowSequences = new Set(this.window.map((s) => s.sequence));
    const init = await signLiveInit(nodeSubtle, signingKey, this.streamId, this.rendition, {
      uri: 'init.mp4',
      sha256: await sha256Hex(nodeSubtle, new Uint8Array([1])),
      sizeBytes: 1,
    });
    const manifestText = JSON.stringify({
      v: 1,
      kind: 'live',
      streamId: this.streamId,
      rendition: this.rendition,
      init,
      segments: this.signed.filter((entry) => windowSequences.has(entry.sequence)),
    });
    if (options.manifestLate) this.lateManifestText = manifestText;
    else {
      this.manifestText = manifestText;
      this.lateManifestText = null;
    }
    this.playlist = encoder.encode(
      withPadding(playlistText(this.window, this.durationSec, false), this.playlistPaddingBytes),
    );
    return segment;
  }

  /** Size of the playlist served now. */
  get playlistBytes(): number {
    return this.playlist.byteLength;
  }

  /** Serve the manifest a `manifestLate` publication held back. */
  releaseManifest(): void {
    if (this.lateManifestText === null) return;
    this.manifestText = this.lateManifestText;
    this.lateManifestText = null;
  }

  content = (url: string): Uint8Array | undefined => {
    if (url === this.playlistUrl) return this.playlist;
    if (url.endsWith('/integrity.json')) return encoder.encode(this.manifestText);
    return this.segments.find((segment) => segment.url === url)?.bytes;
  };
}
