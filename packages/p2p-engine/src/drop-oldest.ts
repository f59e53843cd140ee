/**
 * Forget the first-inserted entries of a Map or Set until at most `max` remain: the bound on
 * the engine's insertion-ordered tables (re-inserting a key makes it the newest).
 */
export function dropOldest(entries: Map<unknown, unknown> | Set<unknown>, max: number): void {
  for (const key of entries.keys()) {
    if (entries.size <= max) return;
    entries.delete(key);
  }
}
