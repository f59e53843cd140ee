import { invocationBootstrapRatio, median, ratio, type RatioInterval } from '../lib/stats.js';
import type { RunFigures, TrackerKind } from './run-tracker-bench.js';

/** A shared-store kind against memory mode, at one swarm size. */
export interface PerNodeComparison {
  peers: number;
  tracker: Extract<TrackerKind, 'coral-redis' | 'coral-redis-cluster'>;
  nodes: number;
  /** Rounds on each side (each round: one run of each kind, interleaved). */
  rounds: number;
  /** Medians over the rounds: announces/s of one node on the shared store, and in memory. */
  perNode: number;
  memory: number;
  /** perNode / memory, and how far it could move between resampled rounds (null: < 2 rounds). */
  ratio: number;
  interval: RatioInterval | null;
}

const SHARED: ReadonlyArray<PerNodeComparison['tracker']> = ['coral-redis', 'coral-redis-cluster'];

/**
 * Announces/s per node of each shared-store kind beside memory mode (one node), from every
 * round's sample: the ratio of the medians, with a bootstrap interval over the rounds.
 */
export function perNodeComparisons(samples: readonly RunFigures[]): PerNodeComparison[] {
  const peerCounts = [...new Set(samples.map((s) => s.peers))];
  const comparisons: PerNodeComparison[] = [];
  for (const peers of peerCounts) {
    const of = (kind: TrackerKind) =>
      samples.filter((s) => s.tracker === kind && s.peers === peers);
    const memory = of('coral').map((s) => s.announcesPerSec);
    if (memory.length === 0) continue;
    for (const tracker of SHARED) {
      const runs = of(tracker);
      if (runs.length === 0) continue;
      const perNode = runs.map((s) => s.announcesPerSecPerNode);
      comparisons.push({
        peers,
        tracker,
        nodes: runs[0]!.nodes,
        rounds: Math.min(runs.length, memory.length),
        perNode: median(perNode),
        memory: median(memory),
        ratio: ratio(median(perNode), median(memory)),
        interval: invocationBootstrapRatio([
          { candidate: perNode.map((v) => [v]), baseline: memory.map((v) => [v]) },
        ]),
      });
    }
  }
  return comparisons;
}
