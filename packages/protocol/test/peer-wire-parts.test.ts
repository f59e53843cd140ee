import { describe, expect, it } from 'vitest';
import {
  decodePeerFrame,
  encodePeerFrame,
  MAX_WIRE_PART_INDEX,
  toHex,
  type PeerFrame,
} from '../src/index.js';

const examples: Array<{ frame: PeerFrame; hex: string }> = [
  {
    frame: { type: 'part-have', rendition: '240p', sequence: 12, part: 3 },
    hex: '020b' + '04' + '32343070' + '0000000c' + '0003',
  },
  {
    frame: {
      type: 'part-request',
      requestId: 9,
      rendition: 'a',
      sequence: 0x01020304,
      part: 0x0102,
      offsetBytes: 16,
    },
    hex: '020c' + '00000009' + '01' + '61' + '01020304' + '0102' + '00000010',
  },
];

const signed: PeerFrame = {
  type: 'part-signed',
  rendition: '720p',
  sequence: 5,
  part: 1,
  sizeBytes: 1234,
  sha256: 'cd'.repeat(32),
  signature: '_'.repeat(85) + 'w',
};

describe('part frames', () => {
  for (const { frame, hex } of examples) {
    it(`encodes ${frame.type} to its documented bytes and back`, () => {
      const bytes = encodePeerFrame(frame);
      expect(toHex(bytes)).toBe(hex);
      expect(decodePeerFrame(bytes)).toEqual({ ok: true, value: frame });
    });
  }

  it('round-trips a part-signed entry', () => {
    const bytes = encodePeerFrame(signed);
    expect(bytes.byteLength).toBe(2 + 1 + 4 + 4 + 2 + 4 + 32 + 64);
    expect(decodePeerFrame(bytes)).toEqual({ ok: true, value: signed });
  });

  it('rejects a truncated part frame with a typed error', () => {
    for (const frame of [...examples.map((e) => e.frame), signed]) {
      const bytes = encodePeerFrame(frame);
      const result = decodePeerFrame(bytes.subarray(0, bytes.byteLength - 1));
      expect(result).toMatchObject({ ok: false, error: { code: 'truncated' } });
    }
  });

  it('rejects trailing bytes after a part frame', () => {
    const bytes = encodePeerFrame(examples[0]!.frame);
    const longer = new Uint8Array(bytes.byteLength + 1);
    longer.set(bytes);
    expect(decodePeerFrame(longer)).toMatchObject({
      ok: false,
      error: { code: 'trailing_bytes' },
    });
  });

  it('rejects an invalid rendition in a part frame', () => {
    const bytes = encodePeerFrame(examples[0]!.frame);
    bytes[3] = 0x2f; // '/' is not allowed in a rendition
    expect(decodePeerFrame(bytes)).toMatchObject({ ok: false, error: { code: 'bad_value' } });
  });

  it('refuses to encode a part index the wire cannot carry', () => {
    expect(() =>
      encodePeerFrame({
        type: 'part-have',
        rendition: 'a',
        sequence: 1,
        part: MAX_WIRE_PART_INDEX + 1,
      }),
    ).toThrow(RangeError);
  });

  it('still reports an unknown frame type past the part frames', () => {
    expect(decodePeerFrame(new Uint8Array([2, 0x0d]))).toMatchObject({
      ok: false,
      error: { code: 'unknown_type' },
    });
  });
});
