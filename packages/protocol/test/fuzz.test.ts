import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeClientMessage,
  decodeIntegrityManifest,
  decodePeerFrame,
  decodeServerMessage,
  encodePeerFrame,
  encodeTrackerMessage,
  fromBase64Url,
  fromHex,
  parseSegmentId,
  PEER_PROTOCOL_VERSION,
  toBase64Url,
  toHex,
  type PeerFrame,
} from '../src/index.js';

/** Every decoder must survive this many random inputs (the issue asks for at least 10,000). */
const RUNS = 10_000;

function expectResult(result: { ok: boolean; error?: { code: string; message: string } }): void {
  expect(typeof result.ok).toBe('boolean');
  if (!result.ok) {
    expect(typeof result.error?.code).toBe('string');
    expect(typeof result.error?.message).toBe('string');
  }
}

const rendition = fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/);
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const frameArbitrary: fc.Arbitrary<PeerFrame> = fc.oneof(
  fc.record({
    type: fc.constant('handshake' as const),
    peerId: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/),
    streamId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  }),
  fc
    .record({
      rendition,
      firstSequence: fc.integer({ min: 0, max: 1_000_000 }),
      count: fc.integer({ min: 0, max: 300 }),
    })
    .chain((base) =>
      fc
        .uint8Array({ minLength: Math.ceil(base.count / 8), maxLength: Math.ceil(base.count / 8) })
        .map((bits) => ({ type: 'bitfield' as const, ...base, bits })),
    ),
  fc.record({
    type: fc.constant('have' as const),
    rendition,
    added: fc.array(u32, { maxLength: 20 }),
    lost: fc.array(u32, { maxLength: 20 }),
  }),
  fc.record({
    type: fc.constant('request' as const),
    requestId: u32,
    rendition,
    sequence: u32,
    offsetBytes: u32,
  }),
  fc
    .record({
      requestId: u32,
      payload: fc.uint8Array({ maxLength: 64 }),
      offsetBytes: fc.integer({ min: 0, max: 1e6 }),
      extra: fc.integer({ min: 0, max: 1e6 }),
    })
    .map(({ requestId, payload, offsetBytes, extra }) => ({
      type: 'data' as const,
      requestId,
      offsetBytes,
      totalBytes: offsetBytes + payload.byteLength + extra,
      payload,
    })),
  fc.record({ type: fc.constant('done' as const), requestId: u32, totalBytes: u32 }),
  fc.record({
    type: fc.constant('absent' as const),
    requestId: u32,
    reason: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
  }),
  fc.record({ type: fc.constant('cancel' as const), requestId: u32 }),
  fc.record({
    type: fc.constant('signed' as const),
    rendition,
    sequence: u32,
    sizeBytes: u32,
    sha256: fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex),
    signature: fc.uint8Array({ minLength: 64, maxLength: 64 }).map(toBase64Url),
  }),
);

describe('decoders never throw', () => {
  it('peer frames: random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) =>
        expectResult(decodePeerFrame(bytes)),
      ),
      { numRuns: RUNS },
    );
  });

  it('peer frames: random bytes behind a valid header', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 }),
        fc.uint8Array({ maxLength: 160 }),
        (type, body) => {
          const bytes = new Uint8Array(2 + body.length);
          bytes[0] = PEER_PROTOCOL_VERSION;
          bytes[1] = type;
          bytes.set(body, 2);
          expectResult(decodePeerFrame(bytes));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('peer frames: valid frames round-trip, and mutated or cut ones decode or fail cleanly', () => {
    fc.assert(
      fc.property(
        frameArbitrary,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(),
        (frame, at, value, cut) => {
          const bytes = encodePeerFrame(frame);
          expect(decodePeerFrame(bytes)).toEqual({ ok: true, value: frame });
          const mutated = bytes.slice();
          mutated[at % mutated.length] = value;
          expectResult(decodePeerFrame(mutated));
          expectResult(decodePeerFrame(bytes.subarray(0, cut % (bytes.length + 1))));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('tracker messages: random text and random JSON', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        expectResult(decodeClientMessage(text));
        expectResult(decodeServerMessage(text));
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const text = JSON.stringify(value) ?? 'null';
        expectResult(decodeClientMessage(text));
        expectResult(decodeServerMessage(text));
      }),
      { numRuns: RUNS },
    );
  });

  it('tracker messages: a known type with random fields, and mutated valid messages', () => {
    const types = [
      'join',
      'leave',
      'have',
      'get-peers',
      'signal',
      'report',
      'beacon',
      'ping',
      'joined',
      'peers',
      'election',
      'error',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        fc.dictionary(
          fc.constantFrom(
            'swarmId',
            'v',
            'token',
            'added',
            'lost',
            'need',
            'max',
            'to',
            'signal',
            'peers',
            'stats',
          ),
          fc.jsonValue({ maxDepth: 3 }),
        ),
        (type, fields) => {
          const text = JSON.stringify({ ...fields, type });
          expectResult(decodeClientMessage(text));
          expectResult(decodeServerMessage(text));
        },
      ),
      { numRuns: RUNS },
    );
    const valid = encodeTrackerMessage({
      type: 'have',
      swarmId: 'demo/240p',
      added: [1, 2],
      lost: [],
    });
    fc.assert(
      fc.property(fc.nat(), fc.string({ minLength: 1, maxLength: 2 }), (at, insert) => {
        const index = at % valid.length;
        const mutated = valid.slice(0, index) + insert + valid.slice(index + 1);
        expectResult(decodeClientMessage(mutated));
      }),
      { numRuns: RUNS },
    );
  });

  it('integrity manifests: random JSON and mutated manifests', () => {
    const manifest = JSON.stringify({
      v: 1,
      kind: 'vod',
      streamId: 'demo',
      rendition: '240p',
      init: null,
      segments: [
        { sequence: 0, uri: 'a.m4s', sha256: 'a'.repeat(64), sizeBytes: 3, durationSec: 2 },
      ],
      signature: 'A'.repeat(86),
    });
    expect(decodeIntegrityManifest(manifest).ok).toBe(true);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        expectResult(decodeIntegrityManifest(JSON.stringify(value) ?? 'null'));
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(fc.nat(), fc.string({ maxLength: 3 }), (at, insert) => {
        const index = at % manifest.length;
        expectResult(
          decodeIntegrityManifest(manifest.slice(0, index) + insert + manifest.slice(index + 1)),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('segment ids and encodings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (text) => {
        expectResult(parseSegmentId(text));
        const hex = fromHex(text);
        if (hex !== null) expect(toHex(hex)).toBe(text);
        const b64 = fromBase64Url(text);
        if (b64 !== null) expect(toBase64Url(b64)).toBe(text);
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
        expect(fromHex(toHex(bytes))).toEqual(bytes);
      }),
      { numRuns: RUNS },
    );
  });
});
