import type { PairType, SelectedPath } from './connectivity.js';
import type { PeerConnectionLike } from './platform.js';

const UNKNOWN_PATH: SelectedPath = { type: null, rttMs: null };

/** One stats read of the selected pair; null for a stack without stats. A failed read says nothing. */
function readPath(pc: PeerConnectionLike): Promise<SelectedPath> | null {
  const read = pc.selectedPath?.bind(pc);
  return read ? read().catch(() => UNKNOWN_PATH) : null;
}

/**
 * Read the selected pair of a connection that just opened, once for both readings (each is a
 * `getStats()`, not free): `refused` when it landed on a relay the policy does not allow (a
 * stack that relayed anyway), else `counted` with its type (`unknown` for a stack without
 * stats); and its first round trip into the session, as `refreshPathRtt` does.
 */
export function readOpenedPath(
  pc: PeerConnectionLike,
  relayAllowed: boolean,
  target: { pathRttMs: number | null },
  on: { counted(type: PairType | 'unknown'): void; refused(): void },
): void {
  const read = readPath(pc);
  if (!read) {
    on.counted('unknown');
    return;
  }
  void read.then(({ type, rttMs }) => {
    if (type === 'relay' && !relayAllowed) on.refused();
    else on.counted(type ?? 'unknown');
    if (rttMs !== null) target.pathRttMs = rttMs;
  });
}

/**
 * Read a connection's round-trip time (the selected ICE pair's, as the stack measures it on the
 * data channel's own path) into its session, so that peer choice can prefer near holders. A
 * stack without stats, or a pair not measured yet, leaves the last reading in place.
 */
export function refreshPathRtt(pc: PeerConnectionLike, target: { pathRttMs: number | null }): void {
  void readPath(pc)?.then(({ rttMs }) => {
    if (rttMs !== null) target.pathRttMs = rttMs;
  });
}
