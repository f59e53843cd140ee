import type { LiveManifest } from '@coral-cdn/protocol';
import type { PartPosition } from './blocking.js';

/**
 * The live integrity manifest as a blocking request for `from` (`_HLS_msn`, `_HLS_part`) needs
 * it: the entries of that part and what came after it, and the whole-segment entries from the
 * segment before it on (a segment is signed whole as its next one starts). A part fetcher asks
 * for this once per part, so the full window (a few KB) would cost more than it carries. Every
 * entry is signed on its own, so a shorter list vouches for nothing more; a request without
 * the blocking parameters still gets the whole window.
 */
export function manifestFrom(
  manifest: LiveManifest,
  from: { readonly msn: number; readonly part: number | null },
): LiveManifest {
  const first: PartPosition = { msn: from.msn, part: from.part ?? 0 };
  return {
    ...manifest,
    segments: manifest.segments.filter((entry) => entry.sequence >= first.msn - 1),
    parts: (manifest.parts ?? []).filter(
      (entry) =>
        entry.sequence > first.msn || (entry.sequence === first.msn && entry.part >= first.part),
    ),
  };
}
