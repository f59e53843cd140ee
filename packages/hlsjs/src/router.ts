import type {
  Cancelable,
  Clock,
  PartRequest,
  PartResult,
  SegmentRequest,
  SegmentResult,
} from '@coral-cdn/p2p-engine';
import type { FragmentLoaderContext, LoaderResponse, LoaderStats } from 'hls.js';

/**
 * What the loader classes need from the integration: which fragments the engine serves, the
 * engine itself, a clock, and somewhere to count the bytes hls.js fetches on its own.
 */
export interface SegmentRouter {
  readonly clock: Clock;
  /** The engine request for this fragment, or null: hls.js's default loader fetches it. */
  route(context: FragmentLoaderContext): SegmentRequest | null;
  load(request: SegmentRequest): Cancelable<SegmentResult>;
  /** hls.js's own loader should fetch this one and hand the bytes to `adopt` (before the first frame). */
  leavesToPlayer(request: SegmentRequest): boolean;
  /** hls.js's loader fetched a fragment the engine left to it (a copy of its bytes). */
  adopt(request: SegmentRequest, bytes: Uint8Array, stats: LoaderStats): void;
  /** The engine delivered a fragment to hls.js (called before hls.js sees it). */
  delivered?(request: SegmentRequest, result: SegmentResult): void;
  /** A request that went through hls.js's default loader finished with this many bytes. */
  countPassthrough(sizeBytes: number): void;
  /** The engine request for this LL-HLS part, or null: hls.js's default loader fetches it. */
  routePart?(context: FragmentLoaderContext): PartRequest | null;
  loadPart?(request: PartRequest): Cancelable<PartResult>;
  /** hls.js's own loader fetched an LL-HLS part the engine did not take. */
  countPart(sizeBytes: number): void;
  /**
   * Any fragment or part reached hls.js (through the engine or hls.js's own loader), with its
   * size; `fromMemory`: the engine answered it from memory (no download).
   */
  loaded?(context: FragmentLoaderContext, sizeBytes: number, fromMemory: boolean): void;
}

/** Size of a loader response body, whatever hls.js made of it. */
export function responseSizeBytes(data: LoaderResponse['data']): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}
