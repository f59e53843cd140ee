import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  decodeIntegrityManifest,
  decodePlaybackInfo,
  decodeServerMessage,
  integrityManifestSchema,
  playbackInfoSchema,
  serverMessageSchema,
  type IntegrityManifest,
  type PlaybackInfo,
  type ServerMessage,
} from '../src/index.js';

/**
 * The browser decoders are hand-written so that a page carries no schema library; this suite
 * holds each of them to the zod schema the servers use: for valid messages and for thousands of
 * mutations of them (a field replaced by an edge value or random JSON, removed, or an unknown
 * one added), both accept or both refuse, and what both accept decodes to the same value.
 */

const RUNS = 2_000;
const swarmId = 'demo/240p';
const sig = 'A'.repeat(86);
const sha = 'a'.repeat(64);

const serverMessages: ServerMessage[] = [
  { type: 'joined', v: 1, swarmId, peerId: 'peer-123456', heartbeatMs: 30_000 },
  {
    type: 'peers',
    swarmId,
    peers: [
      {
        peerId: 'peer-abcdef',
        region: 'eu-west',
        uploadKbps: 1000,
        connectionType: 'ethernet',
        have: [4, 0xffff_ffff],
      },
    ],
  },
  {
    type: 'signal',
    swarmId,
    from: 'peer-abcdef',
    signal: { kind: 'answer', connectionId: 'c1', sdp: 'v=0' },
  },
  {
    type: 'signal',
    swarmId,
    from: 'peer-abcdef',
    signal: {
      kind: 'candidate',
      connectionId: 'c1',
      candidate: 'x',
      sdpMid: '0',
      sdpMLineIndex: 0,
    },
  },
  { type: 'election', swarmId, epoch: 3, fetchers: ['peer-abcdef', 'peer-123456'], perSegment: 8 },
  { type: 'peer-gone', swarmId, peerId: 'peer-abcdef', reason: 'timeout' },
  { type: 'error', code: 'rate_limited', message: 'slow down', ref: 'have', fatal: true },
  { type: 'pong', t: 12.5 },
  {
    type: 'signal',
    swarmId,
    from: 'peer-abcdef',
    signal: { kind: 'offer', connectionId: 'c1', sdp: 'v=0' },
    uploadKbps: 2000,
  },
];

const manifests: IntegrityManifest[] = [
  {
    v: 1,
    kind: 'vod',
    streamId: 'demo',
    rendition: '240p',
    init: { uri: 'init_2.mp4', sha256: sha, sizeBytes: 900 },
    segments: [{ sequence: 0, uri: 'a.m4s', sha256: sha, sizeBytes: 3, durationSec: 2 }],
    signature: sig,
  },
  {
    v: 1,
    kind: 'live',
    streamId: 'live-demo',
    rendition: '720p',
    init: { uri: 'init_0.mp4', sha256: sha, sizeBytes: 900, signature: sig },
    segments: [
      { sequence: 7, uri: 'b.m4s', sha256: sha, sizeBytes: 3, durationSec: 2.002, signature: sig },
    ],
  },
  {
    v: 1,
    kind: 'live',
    streamId: 'live-ll',
    rendition: '240p',
    init: null,
    segments: [],
    parts: [
      {
        sequence: 9,
        part: 2,
        uri: 'p9.2.m4s',
        sha256: sha,
        sizeBytes: 3,
        durationSec: 0.5,
        independent: false,
        signature: sig,
      },
    ],
  },
];

const playbackInfos: PlaybackInfo[] = [
  {
    id: 'demo',
    kind: 'vod',
    manifestUrl: 'http://127.0.0.1:8081/vod/demo/master.m3u8',
    edge: { url: 'http://127.0.0.1:8081', region: 'eu-west' },
    trackerUrl: 'ws://127.0.0.1:8090/ws',
    token: 'eyJ.e30.sig',
    tokenExpiresAt: '2026-12-04T18:00:00.000Z',
    swarmId: 'demo',
    publicKey: 'B'.repeat(43),
  },
  {
    id: 'live-demo',
    kind: 'live',
    manifestUrl: 'http://127.0.0.1:8081/live/live-demo/master.m3u8',
    edge: { url: 'http://127.0.0.1:8081', region: 'eu-west' },
    trackerUrl: 'ws://127.0.0.1:8090/ws',
    token: 'eyJ.e30.sig',
    tokenExpiresAt: '2026-12-04T18:00:00.000Z',
    swarmId: 'live-demo',
    publicKey: 'B'.repeat(43),
    iceServers: [
      { urls: 'stun:127.0.0.1:3478' },
      { urls: ['turn:127.0.0.1:3478'], username: '1790000000:v1', credential: 'c2VjcmV0' },
    ],
    relayAllowed: false,
  },
];

/** Values at and beyond the limits the schemas set. */
const edgeValues: unknown[] = [
  null,
  true,
  0,
  -1,
  1,
  1.5,
  8,
  9,
  255,
  256,
  3600,
  3601,
  0xffff_ffff,
  2 ** 32,
  2 ** 53,
  -0,
  '',
  ' ',
  'x',
  'vod',
  'live',
  'offer',
  'candidate',
  'peer-abcdef',
  'demo/240p',
  'demo',
  'no-slash',
  'a/b/c',
  'x'.repeat(65),
  'x'.repeat(1025),
  'http://127.0.0.1:1/x',
  ' http://a\t/b ',
  'not a url',
  sha,
  sha.toUpperCase(),
  sig,
  'B'.repeat(43),
  [],
  [1],
  [-1],
  {},
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const keys: (string | number)[] = Array.isArray(value)
    ? value.map((_entry, index) => index)
    : Object.keys(value);
  return [
    prefix,
    ...keys.flatMap((key) => paths((value as Record<string, unknown>)[key], [...prefix, key])),
  ];
}

type Mutation = { kind: 'set'; value: unknown } | { kind: 'delete' } | { kind: 'add'; key: string };

function mutate(original: unknown, path: (string | number)[], mutation: Mutation): unknown {
  const copy = structuredClone(original) as Json;
  if (path.length === 0) return mutation.kind === 'set' ? mutation.value : copy;
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (mutation.kind === 'set') parent[last] = mutation.value;
  else if (mutation.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (
    typeof parent[last] === 'object' &&
    parent[last] !== null &&
    !Array.isArray(parent[last])
  ) {
    (parent[last] as Record<string, unknown>)[mutation.key] = 1;
  }
  return copy;
}

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom(...edgeValues).map((value) => ({ kind: 'set' as const, value })),
  fc.jsonValue({ maxDepth: 2 }).map((value) => ({ kind: 'set' as const, value })),
  fc.constant({ kind: 'delete' as const }),
  fc
    .constantFrom('extra', 'type', 'kind', '__proto__')
    .map((key) => ({ kind: 'add' as const, key })),
);

function expectSameVerdict<T>(
  samples: readonly unknown[],
  decode: (value: unknown) => { ok: boolean; value?: T },
  schema: z.ZodType<T>,
): void {
  let accepted = 0;
  let refused = 0;
  const check = (sample: unknown, path: (string | number)[], mutation: Mutation): void => {
    const mutated = JSON.stringify(mutate(sample, path, mutation)) ?? 'null';
    const input = JSON.parse(mutated) as unknown;
    const expected = schema.safeParse(input);
    const actual = decode(input);
    expect({ mutated, ok: actual.ok }).toEqual({ mutated, ok: expected.success });
    if (expected.success) {
      accepted++;
      expect(actual.value).toEqual(expected.data);
    } else refused++;
  };
  // Every field of every sample against every edge value, removed, and with an unknown key.
  const fixed: Mutation[] = [
    ...edgeValues.map((value) => ({ kind: 'set' as const, value })),
    { kind: 'delete' },
    { kind: 'add', key: 'extra' },
  ];
  for (const sample of samples) {
    for (const path of paths(sample)) for (const mutation of fixed) check(sample, path, mutation);
  }
  // Then random JSON anywhere.
  fc.assert(
    fc.property(
      fc.constantFrom(...samples),
      fc.nat(),
      mutationArbitrary,
      (sample, pick, mutation) => {
        const all = paths(sample);
        check(sample, all[pick % all.length]!, mutation);
      },
    ),
    { numRuns: RUNS },
  );
  // Both verdicts must be well represented, or the comparison says little.
  expect(accepted).toBeGreaterThan(RUNS / 10);
  expect(refused).toBeGreaterThan(RUNS / 2);
}

describe('browser decoders match the servers’ zod schemas', () => {
  it('tracker → player messages', () => {
    for (const message of serverMessages) {
      expect(decodeServerMessage(JSON.stringify(message))).toEqual({ ok: true, value: message });
    }
    expectSameVerdict(
      serverMessages,
      (value) => {
        const text = JSON.stringify(value) ?? 'null';
        const result = decodeServerMessage(text);
        // The frame prelude (type known, an object) refuses before the shape; zod agrees.
        return result.ok ? result : { ok: false };
      },
      serverMessageSchema,
    );
  });

  it('integrity manifests', () => {
    for (const manifest of manifests) {
      expect(decodeIntegrityManifest(JSON.stringify(manifest))).toEqual({
        ok: true,
        value: manifest,
      });
    }
    expectSameVerdict(
      manifests,
      (value) => decodeIntegrityManifest(JSON.stringify(value) ?? 'null'),
      integrityManifestSchema,
    );
  });

  it('playback info', () => {
    expect(decodePlaybackInfo(playbackInfos[0])).toEqual({ ok: true, value: playbackInfos[0] });
    expectSameVerdict(playbackInfos, decodePlaybackInfo, playbackInfoSchema);
  });

  it('names the field at fault', () => {
    const bad = { ...serverMessages[4], perSegment: 9 };
    expect(decodeServerMessage(JSON.stringify(bad))).toMatchObject({
      ok: false,
      error: { code: 'bad_message', message: expect.stringContaining('election: perSegment') },
    });
    const manifest = structuredClone(manifests[0]) as { segments: { sha256: string }[] };
    manifest.segments[0]!.sha256 = 'Z';
    expect(decodeIntegrityManifest(JSON.stringify(manifest))).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('segments.0.sha256') },
    });
    expect(decodePlaybackInfo({ ...playbackInfos[0], trackerUrl: 'nope' })).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('trackerUrl') },
    });
  });
});
