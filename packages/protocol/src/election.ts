import { asciiBytes } from './bytes.js';

/**
 * Live fetch election: which peers fetch a new live segment from the CDN first.
 *
 * The tracker picks a candidate list (`fetchers`) and a count (`perSegment`) and sends both to
 * every peer of the swarm; each peer then derives, with no further messages, the same
 * `perSegment` fetchers for any sequence by rendezvous (highest-random-weight) hashing. The
 * choice rotates from segment to segment, so no single peer carries every first upload, and
 * when a fetcher leaves only the segments it was ranked first for move elsewhere.
 */
export interface ElectionInput {
  readonly fetchers: readonly string[];
  readonly perSegment: number;
}

/** FNV-1a 32-bit followed by a murmur3 finaliser (FNV alone mixes trailing bytes poorly). */
export function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of asciiBytes(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** The peers elected to fetch `sequence` of `swarmId` from the CDN, best first. */
export function electedFetchers(
  election: ElectionInput,
  swarmId: string,
  sequence: number,
): string[] {
  const unique = [...new Set(election.fetchers)];
  return unique
    .map((peerId) => ({ peerId, weight: hash32(`${peerId}|${swarmId}|${sequence}`) }))
    .sort((a, b) => b.weight - a.weight || (a.peerId < b.peerId ? -1 : 1))
    .slice(0, Math.max(0, election.perSegment))
    .map((entry) => entry.peerId);
}

export function isElectedFetcher(
  election: ElectionInput,
  swarmId: string,
  sequence: number,
  peerId: string,
): boolean {
  return electedFetchers(election, swarmId, sequence).includes(peerId);
}
