/**
 * Read the RFC 6381 codec strings and the picture size from an fMP4 init segment, for the
 * master playlist's CODECS and RESOLUTION (ffmpeg's own master playlist is not used: it is
 * written late for live streams and guesses the bandwidth from the settings).
 */
export interface InitSegmentInfo {
  readonly codecs: string[];
  readonly width?: number;
  readonly height?: number;
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);
const VISUAL_ENTRY_FIXED = 78;
const AUDIO_ENTRY_FIXED = 28;

interface Box {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

function boxes(bytes: Uint8Array, start: number, end: number): Box[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found: Box[] = [];
  let offset = start;
  while (offset + 8 <= end) {
    let size = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    let header = 8;
    if (size === 1 && offset + 16 <= end) {
      size = Number(view.getBigUint64(offset + 8));
      header = 16;
    } else if (size === 0) {
      size = end - offset;
    }
    if (size < header || offset + size > end) break;
    found.push({ type, start: offset + header, end: offset + size });
    offset += size;
  }
  return found;
}

function hex2(value: number): string {
  return value.toString(16).padStart(2, '0');
}

/** Length of an MPEG-4 descriptor (1-4 bytes, 7 bits each). */
function descriptorLength(bytes: Uint8Array, offset: number): { length: number; next: number } {
  let length = 0;
  let next = offset;
  for (let i = 0; i < 4 && next < bytes.length; i++) {
    const byte = bytes[next++]!;
    length = (length << 7) | (byte & 0x7f);
    if ((byte & 0x80) === 0) break;
  }
  return { length, next };
}

function mp4aCodec(bytes: Uint8Array, esds: Box | undefined): string {
  if (!esds) return 'mp4a.40.2';
  let offset = esds.start + 4; // version + flags
  if (bytes[offset] !== 0x03) return 'mp4a.40.2';
  offset = descriptorLength(bytes, offset + 1).next;
  const flags = bytes[offset + 2] ?? 0;
  offset += 3;
  if (flags & 0x80) offset += 2;
  if (flags & 0x40) offset += 1 + (bytes[offset] ?? 0);
  if (flags & 0x20) offset += 2;
  if (bytes[offset] !== 0x04) return 'mp4a.40.2';
  offset = descriptorLength(bytes, offset + 1).next;
  const objectType = bytes[offset] ?? 0x40;
  offset += 13;
  if (bytes[offset] !== 0x05) return `mp4a.${hex2(objectType)}`;
  offset = descriptorLength(bytes, offset + 1).next;
  const audioObjectType = (bytes[offset] ?? 0x10) >> 3;
  return `mp4a.${hex2(objectType)}.${audioObjectType}`;
}

export function inspectInitSegment(bytes: Uint8Array): InitSegmentInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const codecs: string[] = [];
  let width: number | undefined;
  let height: number | undefined;
  const walk = (start: number, end: number) => {
    for (const box of boxes(bytes, start, end)) {
      if (CONTAINERS.has(box.type)) {
        walk(box.start, box.end);
      } else if (box.type === 'stsd') {
        for (const entry of boxes(bytes, box.start + 8, box.end)) {
          if (entry.type === 'avc1' || entry.type === 'avc3') {
            width = view.getUint16(entry.start + 24);
            height = view.getUint16(entry.start + 26);
            const avcC = boxes(bytes, entry.start + VISUAL_ENTRY_FIXED, entry.end).find(
              (b) => b.type === 'avcC',
            );
            if (avcC) {
              const [, profile = 0, compat = 0, level = 0] = bytes.subarray(
                avcC.start,
                avcC.start + 4,
              );
              codecs.push(`${entry.type}.${hex2(profile)}${hex2(compat)}${hex2(level)}`);
            } else {
              codecs.push(entry.type);
            }
          } else if (entry.type === 'mp4a') {
            const esds = boxes(bytes, entry.start + AUDIO_ENTRY_FIXED, entry.end).find(
              (b) => b.type === 'esds',
            );
            codecs.push(mp4aCodec(bytes, esds));
          }
        }
      }
    }
  };
  walk(0, bytes.byteLength);
  return { codecs, ...(width === undefined ? {} : { width, height: height ?? 0 }) };
}
