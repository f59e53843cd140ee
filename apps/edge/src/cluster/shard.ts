/**
 * Which worker owns a cache key. With several worker processes, a miss in any worker is
 * fetched through the key's owner (over loopback), so concurrent misses in every worker still
 * make one origin request: the owner coalesces them like any other clients.
 */

/** FNV-1a, 32 bits: fast, stable across processes, spreads similar keys. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function ownerOf(key: string, workers: number): number {
  return workers <= 1 ? 0 : fnv1a(key) % workers;
}

/** Messages between the primary and its workers (IPC). */
export type ClusterMessage =
  | { readonly type: 'internal-url'; readonly index: number; readonly url: string }
  | { readonly type: 'peers'; readonly urls: readonly string[] };

export function isClusterMessage(value: unknown): value is ClusterMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Record<string, unknown>;
  return (
    (message.type === 'internal-url' &&
      typeof message.index === 'number' &&
      typeof message.url === 'string') ||
    (message.type === 'peers' && Array.isArray(message.urls))
  );
}

/** A worker's share of a configured total. */
export function perWorker(totalBytes: number, workers: number): number {
  return Math.max(1024 * 1024, Math.floor(totalBytes / workers));
}
