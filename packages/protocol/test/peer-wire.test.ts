import { describe, expect, it } from 'vitest';
import {
  AbsentReason,
  bitfieldFromSequences,
  DATA_HEADER_BYTES,
  decodePeerFrame,
  encodeDataFrames,
  encodePeerFrame,
  sequencesFromBitfield,
  toHex,
  type PeerFrame,
} from '../src/index.js';

const examples: Array<{ frame: PeerFrame; hex: string }> = [
  {
    frame: { type: 'handshake', peerId: 'peer-0001', streamId: 'demo' },
    hex: '0201' + '09' + '706565722d30303031' + '04' + '64656d6f',
  },
  {
    frame: {
      type: 'bitfield',
      rendition: '240p',
      firstSequence: 10,
      count: 10,
      bits: new Uint8Array([0b1010_0000, 0b0100_0000]),
    },
    hex: '0202' + '04' + '32343070' + '0000000a' + '0000000a' + 'a040',
  },
  {
    frame: { type: 'have', rendition: '720p', added: [1, 2], lost: [0] },
    hex: '0203' + '04' + '37323070' + '0002' + '00000001' + '00000002' + '0001' + '00000000',
  },
  {
    frame: {
      type: 'request',
      requestId: 7,
      rendition: 'a',
      sequence: 0x01020304,
      offsetBytes: 65536,
    },
    hex: '0204' + '00000007' + '01' + '61' + '01020304' + '00010000',
  },
  {
    frame: {
      type: 'request',
      requestId: 8,
      rendition: 'a',
      sequence: 3,
      offsetBytes: 16,
      endBytes: 4096,
    },
    hex: '0204' + '00000008' + '01' + '61' + '00000003' + '00000010' + '00001000',
  },
  {
    frame: {
      type: 'data',
      requestId: 7,
      offsetBytes: 2,
      totalBytes: 5,
      payload: new Uint8Array([0xde, 0xad, 0xbe]),
    },
    hex: '0205' + '00000007' + '00000002' + '00000005' + 'deadbe',
  },
  { frame: { type: 'done', requestId: 7, totalBytes: 5 }, hex: '0206' + '00000007' + '00000005' },
  {
    frame: { type: 'absent', requestId: 9, reason: AbsentReason.Busy },
    hex: '0207' + '00000009' + '01',
  },
  { frame: { type: 'cancel', requestId: 0xffffffff }, hex: '0208' + 'ffffffff' },
  {
    frame: {
      type: 'signed',
      rendition: '240p',
      sequence: 131,
      sizeBytes: 0x0001e240,
      sha256: 'ab'.repeat(32),
      // 64 bytes of 0xff in base64url
      signature: '_'.repeat(85) + 'w',
    },
    hex: '0209' + '04' + '32343070' + '00000083' + '0001e240' + 'ab'.repeat(32) + 'ff'.repeat(64),
  },
];

describe('binary peer protocol', () => {
  it.each(examples)('encodes $frame.type to its golden bytes and back', ({ frame, hex }) => {
    const bytes = encodePeerFrame(frame);
    expect(toHex(bytes)).toBe(hex);
    const decoded = decodePeerFrame(bytes);
    expect(decoded).toEqual({ ok: true, value: frame });
  });

  it('decodes from an ArrayBuffer and from a view with an offset', () => {
    const bytes = encodePeerFrame({ type: 'cancel', requestId: 3 });
    expect(decodePeerFrame(bytes.slice().buffer).ok).toBe(true);
    const padded = new Uint8Array(bytes.length + 5);
    padded.set(bytes, 5);
    expect(decodePeerFrame(padded.subarray(5))).toEqual({
      ok: true,
      value: { type: 'cancel', requestId: 3 },
    });
  });

  it('rejects a wrong version, an unknown type, truncation and trailing bytes with typed errors', () => {
    expect(decodePeerFrame(new Uint8Array([]))).toMatchObject({
      ok: false,
      error: { code: 'truncated' },
    });
    expect(decodePeerFrame(new Uint8Array([1, 8, 0, 0, 0, 1]))).toMatchObject({
      ok: false,
      error: { code: 'unsupported_version' },
    });
    expect(decodePeerFrame(new Uint8Array([2, 0x7f]))).toMatchObject({
      ok: false,
      error: { code: 'unknown_type' },
    });
    expect(decodePeerFrame(new Uint8Array([2, 8, 0, 0, 1]))).toMatchObject({
      ok: false,
      error: { code: 'truncated' },
    });
    expect(decodePeerFrame(new Uint8Array([2, 8, 0, 0, 0, 1, 9]))).toMatchObject({
      ok: false,
      error: { code: 'trailing_bytes' },
    });
  });

  it('rejects a SIGNED frame cut short or with trailing bytes, and will not encode a malformed hash', () => {
    const signed = examples.find((e) => e.frame.type === 'signed')!.frame;
    const bytes = encodePeerFrame(signed);
    expect(decodePeerFrame(bytes.subarray(0, bytes.length - 1))).toMatchObject({
      ok: false,
      error: { code: 'truncated' },
    });
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(decodePeerFrame(longer)).toMatchObject({ ok: false, error: { code: 'trailing_bytes' } });
    expect(() => encodePeerFrame({ ...signed, sha256: 'ab'.repeat(31) } as PeerFrame)).toThrow(
      RangeError,
    );
    expect(() => encodePeerFrame({ ...signed, signature: 'AAAA' } as PeerFrame)).toThrow(
      RangeError,
    );
  });

  it('rejects a DATA chunk that runs past its declared total', () => {
    const bytes = new Uint8Array([2, 5, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 5, 1, 2]);
    expect(decodePeerFrame(bytes)).toMatchObject({ ok: false, error: { code: 'bad_value' } });
  });

  it('rejects a REQUEST whose end is not past its offset, and one with a cut-off end', () => {
    const ranged = encodePeerFrame({
      type: 'request',
      requestId: 1,
      rendition: 'a',
      sequence: 1,
      offsetBytes: 100,
      endBytes: 101,
    });
    ranged[ranged.length - 1] = 100; // end 100 = offset: an empty range
    expect(decodePeerFrame(ranged)).toMatchObject({ ok: false, error: { code: 'bad_value' } });
    expect(decodePeerFrame(ranged.subarray(0, ranged.length - 1))).toMatchObject({
      ok: false,
      error: { code: 'truncated' },
    });
    const frame = { type: 'request', requestId: 1, rendition: 'a', sequence: 1 } as const;
    expect(() => encodePeerFrame({ ...frame, offsetBytes: 5, endBytes: 5 })).toThrow(RangeError);
  });

  it('rejects ids outside their character set', () => {
    const bytes = encodePeerFrame({
      type: 'request',
      requestId: 1,
      rendition: 'abc',
      sequence: 1,
      offsetBytes: 0,
    });
    bytes[7] = 0x2f; // '/' inside the rendition
    expect(decodePeerFrame(bytes)).toMatchObject({ ok: false, error: { code: 'bad_value' } });
  });

  it('refuses to encode values the wire cannot carry', () => {
    expect(() => encodePeerFrame({ type: 'cancel', requestId: -1 })).toThrow(RangeError);
    expect(() =>
      encodePeerFrame({
        type: 'request',
        requestId: 1,
        rendition: 'x/y',
        sequence: 0,
        offsetBytes: 0,
      }),
    ).toThrow(RangeError);
    expect(() =>
      encodePeerFrame({
        type: 'data',
        requestId: 1,
        offsetBytes: 4,
        totalBytes: 4,
        payload: new Uint8Array(1),
      }),
    ).toThrow(RangeError);
  });

  it('round-trips bitfields, keeping the newest window when the span is too wide', () => {
    const held = [5, 6, 9, 12];
    const frame = bitfieldFromSequences('240p', held);
    expect(frame.firstSequence).toBe(5);
    expect(frame.count).toBe(8);
    const decoded = decodePeerFrame(encodePeerFrame(frame));
    expect(
      decoded.ok && decoded.value.type === 'bitfield' && sequencesFromBitfield(decoded.value),
    ).toEqual(held);
    const wide = bitfieldFromSequences('240p', [0, 100_000]);
    expect(sequencesFromBitfield(wide)).toEqual([100_000]);
    expect(bitfieldFromSequences('240p', []).count).toBe(0);
  });

  describe('chunking', () => {
    const segment = new Uint8Array(100_000).map((_, i) => (i * 31) & 0xff);

    it('splits a segment into frames within the message size that reassemble exactly', () => {
      const maxMessageBytes = 16 * 1024;
      const frames = [...encodeDataFrames(42, segment, 0, maxMessageBytes)];
      expect(frames.length).toBe(Math.ceil(segment.length / (maxMessageBytes - DATA_HEADER_BYTES)));
      const out = new Uint8Array(segment.length);
      for (const bytes of frames) {
        expect(bytes.byteLength).toBeLessThanOrEqual(maxMessageBytes);
        const decoded = decodePeerFrame(bytes);
        if (!decoded.ok || decoded.value.type !== 'data') throw new Error('not a data frame');
        expect(decoded.value.requestId).toBe(42);
        expect(decoded.value.totalBytes).toBe(segment.length);
        out.set(decoded.value.payload, decoded.value.offsetBytes);
      }
      expect(out).toEqual(segment);
    });

    it('resumes from a byte offset', () => {
      const frames = [...encodeDataFrames(1, segment, 99_990, 1000)];
      expect(frames).toHaveLength(1);
      const decoded = decodePeerFrame(frames[0]!);
      expect(decoded.ok && decoded.value.type === 'data' && decoded.value.offsetBytes).toBe(99_990);
      expect([...encodeDataFrames(1, segment, segment.length)]).toHaveLength(0);
    });

    it('stops at an end offset, the last frame cut at it', () => {
      const frames = [...encodeDataFrames(1, segment, 1000, 1000, 3500)].map((bytes) => {
        const decoded = decodePeerFrame(bytes);
        if (!decoded.ok || decoded.value.type !== 'data') throw new Error('not a data frame');
        return decoded.value;
      });
      expect(frames.map((f) => [f.offsetBytes, f.payload.byteLength])).toEqual([
        [1000, 986],
        [1986, 986],
        [2972, 528],
      ]);
      expect(frames.every((f) => f.totalBytes === segment.length)).toBe(true);
      expect(() => [...encodeDataFrames(1, segment, 0, 1000, segment.length + 1)]).toThrow(
        RangeError,
      );
      expect(() => [...encodeDataFrames(1, segment, 10, 1000, 5)]).toThrow(RangeError);
    });

    it('rejects a message size with no room for data', () => {
      expect(() => [...encodeDataFrames(1, segment, 0, DATA_HEADER_BYTES)]).toThrow(RangeError);
    });
  });
});
