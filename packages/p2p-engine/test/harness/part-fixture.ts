import { sha256Hex, signLivePart, type LivePartEntry } from '@coral-cdn/protocol';
import type { PartRequest } from '../../src/index.js';
import { nodeSubtle } from './node-subtle.js';
import {
  CDN_BASE,
  segmentBytes,
  signingKey,
  type LiveFixture,
  type SegmentFixture,
} from './stream-fixture.js';

export interface PartFixture {
  sequence: number;
  part: number;
  url: string;
  bytes: Uint8Array;
  startSec: number;
  entry: LivePartEntry;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * LL-HLS parts beside a live fixture: each part signed `coral-part/1` as the origin does, served
 * at its own URL, and listed under `parts` in the live integrity manifest (which, like the
 * origin's, also answers with the blocking-reload query `?_HLS_msn=&_HLS_part=`).
 */
export class LivePartsFixture {
  readonly parts: PartFixture[] = [];

  constructor(
    private readonly live: LiveFixture,
    readonly partsPerSegment = 4,
    readonly partBytes = 30_000,
  ) {}

  async addParts(sequence: number): Promise<PartFixture[]> {
    const added: PartFixture[] = [];
    const partSec = this.live.durationSec / this.partsPerSegment;
    for (let part = 0; part < this.partsPerSegment; part++) {
      const bytes = segmentBytes(50_000 + sequence * 16 + part, this.partBytes);
      const uri = `part_${sequence}_${part}.m4s`;
      const entry = await signLivePart(
        nodeSubtle,
        signingKey,
        this.live.streamId,
        this.live.rendition,
        {
          sequence,
          part,
          uri,
          sha256: await sha256Hex(nodeSubtle, bytes),
          sizeBytes: bytes.byteLength,
          durationSec: partSec,
          independent: part === 0,
        },
      );
      const fixture: PartFixture = {
        sequence,
        part,
        url: `${CDN_BASE}/live/${this.live.streamId}/${this.live.rendition}/${uri}`,
        bytes,
        startSec: sequence * this.live.durationSec + part * partSec,
        entry,
      };
      this.parts.push(fixture);
      added.push(fixture);
    }
    return added;
  }

  /**
   * Publish the segment whose parts were added last as a whole segment, as the origin does:
   * its parts end to end, signed `coral-live/1` and listed in the playlist. `tamper`: the
   * origin signs (and serves) other bytes than its parts make, one byte changed.
   */
  async completeSegment(options: { tamper?: boolean } = {}): Promise<SegmentFixture> {
    const sequence = this.parts.at(-1)?.sequence;
    const parts = this.parts.filter((p) => p.sequence === sequence);
    const bytes = new Uint8Array(parts.reduce((sum, p) => sum + p.bytes.byteLength, 0));
    let offsetBytes = 0;
    for (const part of parts) {
      bytes.set(part.bytes, offsetBytes);
      offsetBytes += part.bytes.byteLength;
    }
    if (options.tamper) bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    const segment = await this.live.publish({ bytes });
    if (segment.sequence !== sequence)
      throw new Error(`parts are of segment ${sequence}, the next segment is ${segment.sequence}`);
    return segment;
  }

  request(part: PartFixture): PartRequest {
    return {
      rendition: this.live.rendition,
      sequence: part.sequence,
      part: part.part,
      url: part.url,
      startSec: part.startSec,
    };
  }

  content = (url: string): Uint8Array | undefined => {
    const path = url.split('?')[0]!;
    const part = this.parts.find((p) => p.url === path);
    if (part) return part.bytes;
    if (path.endsWith('/integrity.json')) {
      const base = this.live.content(path);
      if (!base) return undefined;
      const manifest = JSON.parse(decoder.decode(base)) as Record<string, unknown>;
      manifest['parts'] = this.parts.map((p) => p.entry);
      return encoder.encode(JSON.stringify(manifest));
    }
    return this.live.content(url);
  };
}
