/** Figures a run produces (all byte figures are real bytes: payload × byteScale). */
export interface SimSample {
  readonly tSec: number;
  readonly viewers: number;
  /** Offload over this sample's interval (P2P bytes / all segment bytes the viewers got). */
  readonly offload: number | null;
  readonly offloadByRendition: Record<string, number | null>;
  /** The fluid bound for the population present (see `fluidBound`). */
  readonly fluidBound: number;
  /** What the CDN sent over the interval (segments, playlists, manifests), bit/s. */
  readonly cdnEgressBitsPerSec: number;
  readonly cdnEgressBitsPerSecByRendition: Record<string, number>;
  readonly trackerMessagesPerSec: number;
  /** Viewers present per rendition, and how many of them can open WebRTC (for the bound). */
  readonly loadsByRendition: Record<string, RenditionLoad>;
  /** Summed uplinks of the viewers present that can open WebRTC, bit/s. */
  readonly connectableUplinkBitsPerSec: number;
  /** Segment bytes the viewers got over the interval by rendition, from peers and the CDN. */
  readonly segmentBytesByRendition: Record<string, SegmentBytes>;
}

export interface SegmentBytes {
  readonly p2p: number;
  readonly http: number;
}

export interface Distribution {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return {
    count: sorted.length,
    mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1]!,
  };
}

export interface RenditionLoad {
  readonly bitrateBitsPerSec: number;
  /** Viewers playing it. */
  readonly viewers: number;
  /** Of them, those that can open WebRTC connections at all. */
  readonly connectable: number;
}

/**
 * The fluid bound on offload: per rendition, at most (C−1)/N of its bytes can come from peers
 * (someone must fetch each segment from the CDN; viewers that cannot connect get everything
 * from it), and in all, peers cannot upload more than their summed uplinks.
 */
export function fluidBound(renditions: readonly RenditionLoad[], uplinkBitsPerSec: number): number {
  let demand = 0;
  let peerable = 0;
  for (const r of renditions) {
    demand += r.viewers * r.bitrateBitsPerSec;
    peerable += Math.max(0, r.connectable - 1) * r.bitrateBitsPerSec;
  }
  if (demand === 0) return 0;
  return Math.min(peerable, uplinkBitsPerSec) / demand;
}

/** (C−1)/N for one rendition. */
export function renditionBound(r: RenditionLoad): number {
  return r.viewers === 0 ? 0 : Math.max(0, r.connectable - 1) / r.viewers;
}
