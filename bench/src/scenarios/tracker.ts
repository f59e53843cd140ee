import { z } from 'zod';
import { booleanFlag, FlagError, intFlag, parseFlags } from '../lib/flags.js';
import { writeResultFile, writeResults } from '../lib/results.js';
import type { Scenario } from '../lib/scenario.js';
import { formatTable, median, ratio } from '../lib/stats.js';
import { lineChartSvg } from '../lib/svg.js';
import { BITTORRENT_TRACKER_VERSION } from '../tracker/baseline.js';
import { perNodeComparisons } from '../tracker/per-node.js';
import { runOne, type RunFigures, type TrackerKind } from '../tracker/run-tracker-bench.js';

/**
 * Tracker throughput, relay latency and memory, Coral against bittorrent-tracker (the
 * WebTorrent tracker) in the same run, with 1k and 10k simulated peers in one swarm.
 *
 * Definitions (each simulated peer is one WebSocket in a separate load-worker process):
 * - load: the throughput phases are closed loops run by `active-peers` (1000) of the joined
 *   peers, spread over the swarm, each keeping `announce-window` (16) announces or `window` (4)
 *   queries in flight, so work in flight is bounded whatever the swarm size; the other peers
 *   stay joined.
 * - announce: a peer telling the tracker what it holds. Coral: one `have` delta (one segment
 *   added, one dropped); it has no reply, so each peer sends `window` of them and a ping,
 *   and counts them when the pong returns. A pong comes ahead of queued work, so after the
 *   deadline each active peer sends a `get-peers`, answered only after its queued haves: the
 *   phase lasts until all are answered ('drain ms' past the deadline; near 0 in memory, the
 *   Redis write backlog otherwise). bittorrent-tracker: one `announce` (event
 *   update, no offers: its cheapest announce), counted when its reply arrives; each peer
 *   keeps `window` in flight.
 * - peer query: a peer asking whom to connect to. Coral: `get-peers` (3 needed sequences,
 *   max 10) answered with a ranked `peers` list. bittorrent-tracker has no peer list over
 *   WebSocket: it forwards one offer to each chosen peer, so its query is an announce with
 *   10 offers (counted by its reply; the offers are forwarded to 10 random peers).
 * - relay latency: open loop at a fixed rate; a peer sends an offer (its send time inside),
 *   the receiver answers at once; each leg's one-way time from the sender's send to the
 *   receiver's receipt (same machine clock) is one sample.
 * - RSS: the tracker process's VmRSS with every peer joined (Coral peers hold 30 segments).
 * Flags: --peers 1000,10000 --phase-sec 8 --relay-rate 1000 --window 4 --announce-window 16
 * --active-peers 1000
 * --workers 2 --repeat 1 (median of interleaved repetitions) --skip-baseline
 * --redis (adds Coral on one Redis) --redis-cluster (adds Coral on a local 3-master Redis
 * Cluster) --tracker-nodes 1 (tracker processes sharing the Redis store; load worker i drives
 * node i mod n, so at most --workers).
 * - announces/s per node: a shared-store kind's announces/s over its tracker nodes, beside
 *   memory mode (one node, no store): the ratio of the medians over the rounds (--repeat) with
 *   a bootstrap interval. The benchmark's peers are one swarm, so one room and one hash slot:
 *   on the cluster its keys are on one master (a cluster spreads rooms, not one room).
 */
const trackerFlags = z.object({
  /** Swarm sizes, comma-separated. */
  peers: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'peer counts, comma-separated (1000,10000)')
    .default('1000,10000')
    .transform((list) => list.split(',').map(Number)),
  phase_sec: intFlag(1, 600, 8),
  relay_rate: intFlag(1, 100_000, 1000),
  window: intFlag(1, 1024, 4),
  announce_window: intFlag(1, 1024, 16),
  active_peers: intFlag(1, 100_000, 1000),
  workers: intFlag(1, 64, 2),
  repeat: intFlag(1, 100, 1),
  redis: booleanFlag(),
  redis_cluster: booleanFlag(),
  tracker_nodes: intFlag(1, 8, 1),
  skip_baseline: booleanFlag(),
});

const scenario: Scenario = {
  name: 'tracker',
  description:
    'tracker announces/s, peer queries/s, relay latency p50/p99, RSS at 1k/10k peers vs bittorrent-tracker',
  async run(args) {
    const flags = parseFlags(trackerFlags, args);
    const peerCounts = flags.peers;
    if (flags.tracker_nodes > flags.workers) {
      throw new FlagError(
        `--tracker-nodes ${flags.tracker_nodes}: at most --workers (${flags.workers}), one worker drives each node`,
      );
    }
    const options = {
      peerCounts,
      phaseMs: flags.phase_sec * 1000,
      relayRatePerSec: flags.relay_rate,
      window: flags.window,
      announceWindow: flags.announce_window,
      activePeers: flags.active_peers,
      queryPeers: 10,
      workers: flags.workers,
      trackerNodes: flags.tracker_nodes,
      log: (line: string) => process.stdout.write(`  ${line}\n`),
    };
    const kinds: TrackerKind[] = ['coral'];
    if (flags.redis) kinds.push('coral-redis');
    if (flags.redis_cluster) kinds.push('coral-redis-cluster');
    if (!flags.skip_baseline) kinds.push('bittorrent');
    // Repetitions are interleaved (coral, baseline, coral, ...) so that a burst of load from
    // other processes on the machine hits both; each figure is then the median.
    const repeat = flags.repeat;
    const samples: RunFigures[] = [];
    for (let r = 0; r < repeat; r++) {
      for (const peers of peerCounts) {
        for (const kind of kinds) samples.push(await runOne(kind, peers, options));
      }
    }
    const runs = peerCounts.flatMap((peers) =>
      kinds.map((kind) =>
        medianRun(samples.filter((s) => s.tracker === kind && s.peers === peers)),
      ),
    );
    const rows = runs.map((run) => ({
      tracker:
        run.tracker === 'bittorrent'
          ? `bittorrent-tracker ${BITTORRENT_TRACKER_VERSION}`
          : run.tracker,
      peers: run.peers,
      nodes: run.nodes,
      'announces/s': run.announcesPerSec,
      'per node': run.announcesPerSecPerNode,
      'drain ms': run.announceDrainMs,
      'cpu%': run.announceServerCpuPct,
      'per cpu-s': run.announcesPerCpuSec,
      'queries/s': run.queriesPerSec,
      'q cpu%': run.queryServerCpuPct,
      'q per cpu-s': run.queriesPerCpuSec,
      'relay p50 ms': run.relayP50Ms,
      'relay p99 ms': run.relayP99Ms,
      'RSS MiB': run.rssMiB,
      'join s': run.joinSec,
    }));
    process.stdout.write(`\n${formatTable(rows)}\n`);
    const comparisons = peerCounts.map((peers) => {
      const coral = runs.find((r) => r.tracker === 'coral' && r.peers === peers)!;
      const baseline = runs.find((r) => r.tracker === 'bittorrent' && r.peers === peers);
      return {
        peers,
        announcesRatio: baseline ? ratio(coral.announcesPerSec, baseline.announcesPerSec) : null,
        announcesPerCpuRatio: baseline
          ? ratio(coral.announcesPerCpuSec, baseline.announcesPerCpuSec)
          : null,
        queriesRatio: baseline ? ratio(coral.queriesPerSec, baseline.queriesPerSec) : null,
        relayP99Ratio: baseline ? ratio(coral.relayP99Ms, baseline.relayP99Ms) : null,
        rssRatio: baseline ? ratio(coral.rssMiB, baseline.rssMiB) : null,
        coralRssUnder1GiB: coral.rssMiB < 1024,
      };
    });
    process.stdout.write(
      `\n${formatTable(
        comparisons.map((c) => ({
          peers: c.peers,
          'announces coral/bt': c.announcesRatio ?? 'n/a',
          'per cpu-s coral/bt': c.announcesPerCpuRatio ?? 'n/a',
          'queries coral/bt': c.queriesRatio ?? 'n/a',
          'relay p99 coral/bt': c.relayP99Ratio ?? 'n/a',
          'RSS coral/bt': c.rssRatio ?? 'n/a',
          'coral RSS < 1 GiB': String(c.coralRssUnder1GiB),
        })),
      )}\n`,
    );
    const perNode = perNodeComparisons(samples);
    if (perNode.length > 0) {
      process.stdout.write(
        `\n${formatTable(
          perNode.map((c) => ({
            peers: c.peers,
            store: c.tracker,
            nodes: c.nodes,
            rounds: c.rounds,
            'announces/s per node': c.perNode,
            'memory (1 node)': c.memory,
            'per node / memory': c.ratio,
            '90% interval': c.interval ? `${c.interval.low}–${c.interval.high}` : 'n/a (1 round)',
          })),
        )}\n`,
      );
    }
    const path = writeResults('tracker', {
      repeat,
      samples: repeat > 1 ? samples : undefined,
      definitions: {
        announce:
          'coral: one have delta (no reply; window per ping), counted over the phase plus the drain until a get-peers queued behind them is answered; bittorrent-tracker: one announce without offers (reply)',
        query:
          'coral: get-peers (3 needed, max 10) -> ranked peers; bittorrent-tracker: announce with 10 offers (forwarded to 10 random peers)',
        relayLatency: 'one-way time of each offer/answer leg at a fixed offered rate',
        rss: 'tracker VmRSS with every peer joined (mean over nodes)',
        perNode:
          'announces/s of a Redis kind over its tracker nodes, beside memory mode (one node): ratio of the medians over the rounds, 90% bootstrap interval over rounds',
        perCpuSecond:
          'operations per second divided by the tracker process CPU share in that phase (its capacity when the load generator, sharing the cores, is the limit)',
      },
      options: {
        ...options,
        log: undefined,
        baseline: `bittorrent-tracker@${BITTORRENT_TRACKER_VERSION}`,
      },
      runs,
      comparisons,
      perNode,
    });
    const series = kinds.map((kind) => ({
      name: `${kind === 'bittorrent' ? 'bittorrent-tracker' : kind} announces/s`,
      dashed: kind === 'bittorrent',
      points: runs
        .filter((r) => r.tracker === kind)
        .map((r) => ({ x: r.peers, y: r.announcesPerSec })),
    }));
    writeResultFile(
      'tracker.svg',
      lineChartSvg({
        title: 'Tracker announces per second',
        xLabel: 'peers in the swarm',
        yLabel: 'announces/s',
        series,
      }),
    );
    process.stdout.write(`\nresults: ${path}\n`);
  },
};

/** Field-wise median of repeated runs of one tracker and swarm size. */
function medianRun(runs: RunFigures[]): RunFigures {
  const first = runs[0]!;
  const result: Record<string, unknown> = { ...first };
  for (const [key, value] of Object.entries(first)) {
    if (typeof value === 'number') {
      result[key] = median(runs.map((run) => (run as unknown as Record<string, number>)[key]!));
    }
  }
  return result as unknown as RunFigures;
}

export default scenario;
