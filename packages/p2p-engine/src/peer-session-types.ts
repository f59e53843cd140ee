import type { SignedPartHash, SignedSegmentHash } from '@coral-cdn/protocol';
import type { PartName } from './part-key.js';
import type { TimerId } from './platform.js';

/** The shapes a peer session works with (its downloads, uploads, events). */
export interface PeerDownloadResult {
  startedAtMs: number;
  firstByteAtMs: number;
  endedAtMs: number;
}

export interface PendingDownload {
  requestId: number;
  rendition: string;
  sequence: number;
  /** An LL-HLS part of the segment (PART_REQUEST); null: the whole segment. */
  part: number | null;
  sink: Uint8Array;
  startOffset: number;
  nextOffset: number;
  /** Where the asked range ends: the segment's end unless split between sources. */
  endOffset: number;
  startedAtMs: number;
  firstByteAtMs: number | null;
  stallTimer: TimerId | null;
  /** The hard deadline of the whole transfer (config `peerTransferDeadlineMs`). */
  deadlineTimer: TimerId | null;
  onProgress: (loadedBytes: number) => void;
  resolve: (result: PeerDownloadResult) => void;
  reject: (error: Error) => void;
}

export interface ActiveUpload {
  canceled: boolean;
}

export type PeerCloseReason =
  'closed' | 'protocol' | 'incompatible' | 'integrity' | 'timeout' | 'destroyed' | 'gone';

export interface SessionEvents {
  /** The remote peer now holds these sequences of a rendition. */
  have: (rendition: string, sequences: number[]) => void;
  /** The remote sent the origin's signed entry of a live segment (not checked yet). */
  signed: (rendition: string, hash: SignedSegmentHash) => void;
  /** The remote now holds this LL-HLS part. */
  'part-have': (name: PartName) => void;
  /** The remote sent the origin's signed entry of an LL-HLS part (not checked yet). */
  'part-signed': (rendition: string, hash: SignedPartHash) => void;
  closed: (reason: PeerCloseReason) => void;
  /** Bytes sent to this peer (payload only). */
  uploaded: (bytes: number) => void;
}

/** A held live segment's checked signed entry (the integrity registry's), to pass on. */
export type SignedHashLookup = (
  rendition: string,
  sequence: number,
) => SignedSegmentHash | undefined;

/** The parts a session may upload: held with their checked signed entry. */
export type ShareablePartLookup = (
  name: PartName,
) => { bytes: Uint8Array; signed: SignedPartHash | null } | undefined;
