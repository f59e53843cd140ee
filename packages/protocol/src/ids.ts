import { err, ok, type Result } from './result.js';

/**
 * Segment identity: a stream (the playback API's `swarmId`), a rendition (the variant's folder
 * name, e.g. `720p`) and the media sequence number (EXT-X-MEDIA-SEQUENCE + index).
 * A tracker swarm is one stream's rendition: `<streamId>/<rendition>`.
 */
export const STREAM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const RENDITION_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
export const PEER_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
export const REGION_PATTERN = /^[a-z0-9-]{1,32}$/;
export const MAX_SEQUENCE = 0xffff_ffff;

export interface SegmentId {
  readonly streamId: string;
  readonly rendition: string;
  readonly sequence: number;
}

export interface SwarmRef {
  readonly streamId: string;
  readonly rendition: string;
}

export function formatSwarmId(ref: SwarmRef): string {
  return `${ref.streamId}/${ref.rendition}`;
}

export function parseSwarmId(value: string): Result<SwarmRef> {
  const slash = value.indexOf('/');
  if (slash < 0) return err('bad_value', `swarm id "${value}" has no "/"`);
  const streamId = value.slice(0, slash);
  const rendition = value.slice(slash + 1);
  if (!STREAM_ID_PATTERN.test(streamId)) return err('bad_value', `bad stream id in "${value}"`);
  if (!RENDITION_PATTERN.test(rendition)) return err('bad_value', `bad rendition in "${value}"`);
  return ok({ streamId, rendition });
}

export function formatSegmentId(id: SegmentId): string {
  return `${id.streamId}/${id.rendition}/${id.sequence}`;
}

export function parseSegmentId(value: string): Result<SegmentId> {
  const lastSlash = value.lastIndexOf('/');
  if (lastSlash < 0) return err('bad_value', `segment id "${value}" has no sequence`);
  const swarm = parseSwarmId(value.slice(0, lastSlash));
  if (!swarm.ok) return swarm;
  const sequenceText = value.slice(lastSlash + 1);
  if (!/^(0|[1-9][0-9]{0,9})$/.test(sequenceText)) {
    return err('bad_value', `bad sequence in "${value}"`);
  }
  const sequence = Number(sequenceText);
  if (sequence > MAX_SEQUENCE) return err('bad_value', `sequence out of range in "${value}"`);
  return ok({ ...swarm.value, sequence });
}

export function isValidSequence(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= MAX_SEQUENCE;
}
