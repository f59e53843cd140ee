/**
 * The election a cohort sees. In an audience of N, a rendition swarm elects its best
 * `candidates` uplinks; a cohort of M holds about candidates × M / N of them, and the rest are
 * viewers outside the cohort that its members cannot reach. Without this, a small cohort's
 * swarm elects all its candidates from itself and a large share of it waits on them, while in
 * the audience's swarm most viewers are out of the candidates' reach and the best-ranked of
 * their own neighbours fetches (the engine's `reachableFetcher`).
 */

/** Candidate seats the cohort's own members hold, for a cohort weight N / M. */
export function cohortCandidateSeats(candidates: number, weight: number): number {
  if (weight <= 1) return candidates;
  return Math.max(0, Math.min(candidates, Math.round(candidates / weight)));
}

/** The cohort's elected members followed by stand-ins for the audience's other candidates. */
export function withStandIns(elected: readonly string[], candidates: number): string[] {
  const standIns = Math.max(0, candidates - elected.length);
  return [...elected, ...Array.from({ length: standIns }, (_, i) => `outside-cohort-${i}`)];
}
