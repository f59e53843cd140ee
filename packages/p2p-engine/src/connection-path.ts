import type { PairType } from './connectivity.js';
import type { PeerConnectionLike } from './platform.js';

/**
 * Read the selected pair's type of a connection that just opened: `refused` when it landed on
 * a relay the policy does not allow (a stack that relayed anyway), else `counted` with its type
 * (`unknown` for a stack without stats).
 */
export function readPairType(
  pc: PeerConnectionLike,
  relayAllowed: boolean,
  on: { counted(type: PairType | 'unknown'): void; refused(): void },
): void {
  const read = pc.selectedPairType?.bind(pc);
  if (!read) {
    on.counted('unknown');
    return;
  }
  void read()
    .catch(() => null)
    .then((type) => {
      if (type === 'relay' && !relayAllowed) on.refused();
      else on.counted(type ?? 'unknown');
    });
}

/**
 * Read a connection's round-trip time (the selected ICE pair's, as the stack measures it on the
 * data channel's own path) into its session, so that peer choice can prefer near holders. A
 * stack without stats, or a pair not measured yet, leaves the last reading in place.
 */
export function refreshPathRtt(pc: PeerConnectionLike, target: { pathRttMs: number | null }): void {
  const read = pc.roundTripTimeMs?.bind(pc);
  if (!read) return;
  void read()
    .catch(() => null)
    .then((rttMs) => {
      if (rttMs !== null) target.pathRttMs = rttMs;
    });
}
