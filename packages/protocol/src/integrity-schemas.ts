import { z } from 'zod';
import { renditionSchema, sequenceSchema, streamIdSchema } from './id-schemas.js';
import {
  INTEGRITY_SHA256_PATTERN,
  INTEGRITY_SIGNATURE_PATTERN,
  MAX_LIVE_MANIFEST_PARTS,
  MAX_LIVE_MANIFEST_SEGMENTS,
  MAX_PART_INDEX,
  MAX_VOD_MANIFEST_SEGMENTS,
} from './integrity-decode.js';
import { INTEGRITY_MANIFEST_VERSION } from './version.js';

/**
 * zod schemas of the signed integrity manifests (see integrity.ts), for the origin that writes
 * them. A player decodes them with `decodeIntegrityManifest` (integrity-decode.ts), no zod.
 */

const sha256HexSchema = z
  .string()
  .regex(INTEGRITY_SHA256_PATTERN, 'sha256: 64 lowercase hex digits');
const signatureSchema = z
  .string()
  .regex(INTEGRITY_SIGNATURE_PATTERN, 'signature: 64 bytes base64url');
const sizeSchema = z.number().int().min(0).max(0xffff_ffff);
const uriSchema = z.string().min(1).max(256);

export const initEntrySchema = z.object({
  uri: uriSchema,
  sha256: sha256HexSchema,
  sizeBytes: sizeSchema,
});
export type InitEntry = z.infer<typeof initEntrySchema>;

export const segmentEntrySchema = z.object({
  sequence: sequenceSchema,
  uri: uriSchema,
  sha256: sha256HexSchema,
  sizeBytes: sizeSchema,
  durationSec: z.number().finite().min(0).max(3600),
});
export type SegmentEntry = z.infer<typeof segmentEntrySchema>;

export const vodManifestSchema = z.object({
  v: z.literal(INTEGRITY_MANIFEST_VERSION),
  kind: z.literal('vod'),
  streamId: streamIdSchema,
  rendition: renditionSchema,
  init: initEntrySchema.nullable(),
  segments: z.array(segmentEntrySchema).max(MAX_VOD_MANIFEST_SEGMENTS),
  signature: signatureSchema,
});
export type VodManifest = z.infer<typeof vodManifestSchema>;
export type UnsignedVodManifest = Omit<VodManifest, 'signature'>;

export const liveSegmentEntrySchema = segmentEntrySchema.extend({ signature: signatureSchema });
export type LiveSegmentEntry = z.infer<typeof liveSegmentEntrySchema>;
/** What a live entry's signature covers, with the signature: all a peer needs to check bytes. */
export type SignedSegmentHash = Pick<
  LiveSegmentEntry,
  'sequence' | 'sha256' | 'sizeBytes' | 'signature'
>;

/** One LL-HLS partial segment: part `part` (from 0) of media segment `sequence`. */
export const livePartEntrySchema = z.object({
  sequence: sequenceSchema,
  part: z.number().int().min(0).max(MAX_PART_INDEX),
  uri: uriSchema,
  sha256: sha256HexSchema,
  sizeBytes: sizeSchema,
  durationSec: z.number().finite().min(0).max(60),
  /** Starts with a keyframe (EXT-X-PART INDEPENDENT=YES). */
  independent: z.boolean(),
  signature: signatureSchema,
});
export type LivePartEntry = z.infer<typeof livePartEntrySchema>;
export type SignedPartHash = Pick<
  LivePartEntry,
  'sequence' | 'part' | 'sha256' | 'sizeBytes' | 'signature'
>;

export const liveManifestSchema = z.object({
  v: z.literal(INTEGRITY_MANIFEST_VERSION),
  kind: z.literal('live'),
  streamId: streamIdSchema,
  rendition: renditionSchema,
  init: initEntrySchema.extend({ signature: signatureSchema }).nullable(),
  segments: z.array(liveSegmentEntrySchema).max(MAX_LIVE_MANIFEST_SEGMENTS),
  /** LL-HLS channels only: the window's signed partial segments. */
  parts: z.array(livePartEntrySchema).max(MAX_LIVE_MANIFEST_PARTS).optional(),
});
export type LiveManifest = z.infer<typeof liveManifestSchema>;

export const integrityManifestSchema = z.discriminatedUnion('kind', [
  vodManifestSchema,
  liveManifestSchema,
]);
export type IntegrityManifest = z.infer<typeof integrityManifestSchema>;
