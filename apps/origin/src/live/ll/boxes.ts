/**
 * Cuts a fragmented MP4 byte stream (ffmpeg's `-movflags +frag_keyframe+empty_moov+
 * default_base_moof` on a pipe) into its init segment (ftyp + moov) and its fragments
 * (moof + mdat), and reads what LL-HLS needs from each fragment: its video start time and
 * duration, and whether it starts with a keyframe.
 */

export interface TrackInfo {
  readonly trackId: number;
  readonly timescale: number;
  readonly handler: string;
  readonly defaultSampleDuration: number;
  readonly defaultSampleFlags: number;
}

export interface InitInfo {
  readonly bytes: Uint8Array;
  readonly tracks: readonly TrackInfo[];
}

export interface Fragment {
  readonly bytes: Uint8Array;
  /** Start of the timing track (video, else the first track), in seconds. */
  readonly startSec: number;
  readonly durationSec: number;
  /** The timing track's first sample is a sync sample. */
  readonly keyframe: boolean;
}

export class Mp4StreamError extends Error {
  override readonly name = 'Mp4StreamError';
}

interface Box {
  readonly type: string;
  /** Payload offsets within the buffer it was read from. */
  readonly start: number;
  readonly end: number;
}

const SAMPLE_IS_NON_SYNC = 0x10000;

function boxes(view: DataView, start: number, end: number): Box[] {
  const found: Box[] = [];
  let offset = start;
  while (offset + 8 <= end) {
    let size = view.getUint32(offset);
    const type = String.fromCharCode(
      view.getUint8(offset + 4),
      view.getUint8(offset + 5),
      view.getUint8(offset + 6),
      view.getUint8(offset + 7),
    );
    let header = 8;
    if (size === 1) {
      size = Number(view.getBigUint64(offset + 8));
      header = 16;
    } else if (size === 0) {
      size = end - offset;
    }
    if (size < header || offset + size > end) throw new Mp4StreamError(`bad ${type} box size`);
    found.push({ type, start: offset + header, end: offset + size });
    offset += size;
  }
  return found;
}

function child(view: DataView, box: Box, type: string): Box | undefined {
  return boxes(view, box.start, box.end).find((b) => b.type === type);
}

function path(view: DataView, box: Box, ...types: string[]): Box | undefined {
  let current: Box | undefined = box;
  for (const type of types) {
    if (!current) return undefined;
    current = child(view, current, type);
  }
  return current;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function parseInit(bytes: Uint8Array): InitInfo {
  const view = viewOf(bytes);
  const moov = boxes(view, 0, bytes.byteLength).find((b) => b.type === 'moov');
  if (!moov) throw new Mp4StreamError('init segment without moov');
  const trex = new Map<number, { duration: number; flags: number }>();
  const mvex = child(view, moov, 'mvex');
  for (const box of mvex ? boxes(view, mvex.start, mvex.end) : []) {
    if (box.type !== 'trex') continue;
    // version/flags(4) track_ID(4) description_index(4) duration(4) size(4) flags(4)
    trex.set(view.getUint32(box.start + 4), {
      duration: view.getUint32(box.start + 12),
      flags: view.getUint32(box.start + 20),
    });
  }
  const tracks: TrackInfo[] = [];
  for (const trak of boxes(view, moov.start, moov.end).filter((b) => b.type === 'trak')) {
    const tkhd = child(view, trak, 'tkhd');
    const mdhd = path(view, trak, 'mdia', 'mdhd');
    const hdlr = path(view, trak, 'mdia', 'hdlr');
    if (!tkhd || !mdhd || !hdlr) throw new Mp4StreamError('trak without tkhd, mdhd or hdlr');
    const tkhdVersion = view.getUint8(tkhd.start);
    const trackId = view.getUint32(tkhd.start + (tkhdVersion === 1 ? 20 : 12));
    const mdhdVersion = view.getUint8(mdhd.start);
    const timescale = view.getUint32(mdhd.start + (mdhdVersion === 1 ? 20 : 12));
    const handler = String.fromCharCode(...bytes.subarray(hdlr.start + 8, hdlr.start + 12));
    const defaults = trex.get(trackId) ?? { duration: 0, flags: 0 };
    tracks.push({
      trackId,
      timescale,
      handler,
      defaultSampleDuration: defaults.duration,
      defaultSampleFlags: defaults.flags,
    });
  }
  if (tracks.length === 0) throw new Mp4StreamError('init segment without tracks');
  return { bytes, tracks };
}

interface TrackRun {
  readonly trackId: number;
  readonly baseTime: number;
  readonly duration: number;
  readonly firstFlags: number;
}

function readTraf(view: DataView, traf: Box, tracks: readonly TrackInfo[]): TrackRun {
  const tfhd = child(view, traf, 'tfhd');
  if (!tfhd) throw new Mp4StreamError('traf without tfhd');
  const tfhdFlags = view.getUint32(tfhd.start) & 0xffffff;
  const trackId = view.getUint32(tfhd.start + 4);
  const track = tracks.find((t) => t.trackId === trackId);
  if (!track) throw new Mp4StreamError(`fragment of unknown track ${trackId}`);
  let offset = tfhd.start + 8;
  if (tfhdFlags & 0x1) offset += 8;
  if (tfhdFlags & 0x2) offset += 4;
  let defaultDuration = track.defaultSampleDuration;
  let defaultFlags = track.defaultSampleFlags;
  if (tfhdFlags & 0x8) {
    defaultDuration = view.getUint32(offset);
    offset += 4;
  }
  if (tfhdFlags & 0x10) offset += 4;
  if (tfhdFlags & 0x20) defaultFlags = view.getUint32(offset);
  const tfdt = child(view, traf, 'tfdt');
  let baseTime = 0;
  if (tfdt) {
    baseTime =
      view.getUint8(tfdt.start) === 1
        ? Number(view.getBigUint64(tfdt.start + 4))
        : view.getUint32(tfdt.start + 4);
  }
  let duration = 0;
  let firstFlags = defaultFlags;
  let first = true;
  for (const trun of boxes(view, traf.start, traf.end).filter((b) => b.type === 'trun')) {
    const flags = view.getUint32(trun.start) & 0xffffff;
    const count = view.getUint32(trun.start + 4);
    let at = trun.start + 8;
    if (flags & 0x1) at += 4;
    let runFirstFlags: number | null = null;
    if (flags & 0x4) {
      runFirstFlags = view.getUint32(at);
      at += 4;
    }
    for (let i = 0; i < count; i++) {
      let sampleDuration = defaultDuration;
      let sampleFlags = i === 0 && runFirstFlags !== null ? runFirstFlags : defaultFlags;
      if (flags & 0x100) {
        sampleDuration = view.getUint32(at);
        at += 4;
      }
      if (flags & 0x200) at += 4;
      if (flags & 0x400) {
        if (!(i === 0 && runFirstFlags !== null)) sampleFlags = view.getUint32(at);
        at += 4;
      }
      if (flags & 0x800) at += 4;
      if (at > trun.end) throw new Mp4StreamError('trun longer than its box');
      if (first) firstFlags = sampleFlags;
      first = false;
      duration += sampleDuration;
    }
  }
  return { trackId, baseTime, duration, firstFlags };
}

export function parseFragment(bytes: Uint8Array, init: InitInfo): Fragment {
  const view = viewOf(bytes);
  const moof = boxes(view, 0, bytes.byteLength).find((b) => b.type === 'moof');
  if (!moof) throw new Mp4StreamError('fragment without moof');
  const runs = boxes(view, moof.start, moof.end)
    .filter((b) => b.type === 'traf')
    .map((traf) => readTraf(view, traf, init.tracks));
  const timing =
    init.tracks.find((t) => t.handler === 'vide' && runs.some((r) => r.trackId === t.trackId)) ??
    init.tracks.find((t) => runs.some((r) => r.trackId === t.trackId));
  const run = runs.find((r) => r.trackId === timing?.trackId);
  if (!timing || !run) throw new Mp4StreamError('fragment without samples');
  return {
    bytes,
    startSec: run.baseTime / timing.timescale,
    durationSec: run.duration / timing.timescale,
    keyframe: (run.firstFlags & SAMPLE_IS_NON_SYNC) === 0,
  };
}

/**
 * Push bytes as they come; get the init segment once, then each fragment as soon as its
 * mdat is complete. Throws Mp4StreamError on a stream that is not fragmented MP4.
 */
export class FragmentSplitter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private initParts: Uint8Array[] = [];
  private init: InitInfo | null = null;
  private moof: Uint8Array | null = null;

  constructor(
    private readonly onInit: (init: InitInfo) => void,
    private readonly onFragment: (fragment: Fragment) => void,
  ) {}

  push(chunk: Uint8Array): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
    for (;;) {
      const box = this.nextBox();
      if (!box) return;
      this.take(box.type, box.bytes);
    }
  }

  private nextBox(): { type: string; bytes: Uint8Array } | null {
    if (this.pendingBytes < 8) return null;
    const head = this.peek(Math.min(16, this.pendingBytes));
    const view = viewOf(head);
    let size = view.getUint32(0);
    const type = String.fromCharCode(head[4]!, head[5]!, head[6]!, head[7]!);
    if (size === 1) {
      if (head.byteLength < 16) return null;
      size = Number(view.getBigUint64(8));
    }
    if (size < 8 || size > 512 * 1024 * 1024) {
      throw new Mp4StreamError(`bad ${JSON.stringify(type)} box size ${size}`);
    }
    if (this.pendingBytes < size) return null;
    return { type, bytes: this.consume(size) };
  }

  private peek(count: number): Uint8Array {
    const first = this.pending[0]!;
    if (first.byteLength >= count) return first.subarray(0, count);
    return Buffer.concat(this.pending).subarray(0, count);
  }

  private consume(count: number): Uint8Array {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const taken = all.subarray(0, count);
    const rest = all.subarray(count);
    this.pending = rest.byteLength > 0 ? [rest] : [];
    this.pendingBytes = rest.byteLength;
    return Uint8Array.from(taken);
  }

  private take(type: string, bytes: Uint8Array): void {
    if (this.init === null) {
      this.initParts.push(bytes);
      if (type === 'moov') {
        this.init = parseInit(Buffer.concat(this.initParts));
        this.initParts = [];
        this.onInit(this.init);
      } else if (type !== 'ftyp' && type !== 'free' && type !== 'styp') {
        throw new Mp4StreamError(`expected ftyp/moov first, got ${type}`);
      }
      return;
    }
    if (type === 'moof') {
      this.moof = bytes;
    } else if (type === 'mdat') {
      if (!this.moof) throw new Mp4StreamError('mdat without moof');
      const fragment = parseFragment(Buffer.concat([this.moof, bytes]), this.init);
      this.moof = null;
      this.onFragment(fragment);
    }
    // mfra (written at the end) and other top-level boxes carry nothing a player needs.
  }
}
