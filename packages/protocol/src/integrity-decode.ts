import {
  at,
  bool,
  decodeWithChecks,
  fail,
  integer,
  list,
  literal,
  nullable,
  number,
  optionalInto,
  record,
  rendition,
  sequence,
  streamId,
  text,
} from './decode-checks.js';
import type {
  InitEntry,
  IntegrityManifest,
  LivePartEntry,
  LiveSegmentEntry,
  SegmentEntry,
} from './integrity-schemas.js';
import { err, type Result } from './result.js';
import { INTEGRITY_MANIFEST_VERSION } from './version.js';

/**
 * The player's decoder of a signed integrity manifest, without a schema library. It accepts
 * exactly what `integrityManifestSchema` (integrity-schemas.ts) accepts, as the differential test
 * in test/browser-decoders.test.ts checks, and keeps only the known fields.
 */

export const INTEGRITY_SHA256_PATTERN = /^[0-9a-f]{64}$/;
export const INTEGRITY_SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{86}$/;
export const MAX_VOD_MANIFEST_SEGMENTS = 1_000_000;
export const MAX_LIVE_MANIFEST_SEGMENTS = 10_000;
export const MAX_LIVE_MANIFEST_PARTS = 100_000;
export const MAX_PART_INDEX = 10_000;

const sha256 = (value: unknown, path: string): string =>
  text(value, path, { pattern: INTEGRITY_SHA256_PATTERN, what: 'sha256 (64 lowercase hex)' });
const signature = (value: unknown, path: string): string =>
  text(value, path, { pattern: INTEGRITY_SIGNATURE_PATTERN, what: 'signature (base64url)' });
const size = (value: unknown, path: string): number => integer(value, path, 0, 0xffff_ffff);
const uri = (value: unknown, path: string): string => text(value, path, { min: 1, max: 256 });

function initEntry(value: unknown, path: string): InitEntry {
  const body = record(value, path);
  return {
    uri: uri(body['uri'], at(path, 'uri')),
    sha256: sha256(body['sha256'], at(path, 'sha256')),
    sizeBytes: size(body['sizeBytes'], at(path, 'sizeBytes')),
  };
}

function signedInitEntry(value: unknown, path: string): InitEntry & { signature: string } {
  const entry = initEntry(value, path);
  const body = value as Record<string, unknown>;
  return { ...entry, signature: signature(body['signature'], at(path, 'signature')) };
}

function segmentEntry(value: unknown, path: string): SegmentEntry {
  const body = record(value, path);
  return {
    sequence: sequence(body['sequence'], at(path, 'sequence')),
    uri: uri(body['uri'], at(path, 'uri')),
    sha256: sha256(body['sha256'], at(path, 'sha256')),
    sizeBytes: size(body['sizeBytes'], at(path, 'sizeBytes')),
    durationSec: number(body['durationSec'], at(path, 'durationSec'), 0, 3600),
  };
}

function liveSegmentEntry(value: unknown, path: string): LiveSegmentEntry {
  const entry = segmentEntry(value, path);
  const body = value as Record<string, unknown>;
  return { ...entry, signature: signature(body['signature'], at(path, 'signature')) };
}

function livePartEntry(value: unknown, path: string): LivePartEntry {
  const body = record(value, path);
  return {
    sequence: sequence(body['sequence'], at(path, 'sequence')),
    part: integer(body['part'], at(path, 'part'), 0, MAX_PART_INDEX),
    uri: uri(body['uri'], at(path, 'uri')),
    sha256: sha256(body['sha256'], at(path, 'sha256')),
    sizeBytes: size(body['sizeBytes'], at(path, 'sizeBytes')),
    durationSec: number(body['durationSec'], at(path, 'durationSec'), 0, 60),
    independent: bool(body['independent'], at(path, 'independent')),
    signature: signature(body['signature'], at(path, 'signature')),
  };
}

function manifest(value: unknown): IntegrityManifest {
  const body = record(value, '');
  const head = {
    v: literal(body['v'], 'v', INTEGRITY_MANIFEST_VERSION),
    streamId: streamId(body['streamId'], 'streamId'),
    rendition: rendition(body['rendition'], 'rendition'),
  };
  if (body['kind'] === 'vod') {
    return {
      ...head,
      kind: 'vod',
      init: nullable(body['init'], 'init', initEntry),
      segments: list(body['segments'], 'segments', MAX_VOD_MANIFEST_SEGMENTS, segmentEntry),
      signature: signature(body['signature'], 'signature'),
    };
  }
  if (body['kind'] === 'live') {
    const live: IntegrityManifest = {
      ...head,
      kind: 'live',
      init: nullable(body['init'], 'init', signedInitEntry),
      segments: list(body['segments'], 'segments', MAX_LIVE_MANIFEST_SEGMENTS, liveSegmentEntry),
    };
    optionalInto(live, body, 'parts', '', (parts, path) =>
      list(parts, path, MAX_LIVE_MANIFEST_PARTS, livePartEntry),
    );
    return live;
  }
  return fail('kind', 'expected vod or live');
}

/** Parse a manifest's JSON text. Never throws. Does not check signatures. */
export function decodeIntegrityManifest(text: string): Result<IntegrityManifest> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (_error) {
    return err('bad_json', 'integrity manifest is not valid JSON');
  }
  return decodeWithChecks('integrity manifest', () => manifest(parsed));
}
