import { z } from 'zod';
import { intFlag, parseFlags } from '../lib/flags.js';
import { writeResults } from '../lib/results.js';
import type { Scenario } from '../lib/scenario.js';
import { formatTable, median, ratio } from '../lib/stats.js';
import { runPaddedFrames, type PhaseFigures } from '../tracker/padded-frames.js';

/**
 * What padded frames cost the tracker's legitimate clients: a client's ping round trip, quiet
 * and under attack, in interleaved rounds against the same tracker (its default limits).
 * Flags: --rounds 5 --phase-sec 6 --attackers 10 --extra-keys 6000 --ping-interval-ms 20
 */
const paddedFlags = z.object({
  rounds: intFlag(1, 50, 5),
  phase_sec: intFlag(1, 120, 6),
  attackers: intFlag(1, 256, 10),
  extra_keys: intFlag(0, 100_000, 6000),
  ping_interval_ms: intFlag(5, 1000, 20),
});

const scenario: Scenario = {
  name: 'tracker-padded',
  description: "a client's tracker ping, quiet and under padded-JSON attackers, interleaved rounds",
  async run(args) {
    const flags = parseFlags(paddedFlags, args);
    const log = (line: string) => process.stdout.write(`${line}\n`);
    const phases = await runPaddedFrames({
      rounds: flags.rounds,
      phaseMs: flags.phase_sec * 1000,
      attackers: flags.attackers,
      extraKeys: flags.extra_keys,
      attackIntervalMs: 10,
      pingIntervalMs: flags.ping_interval_ms,
      log,
    });
    const of = (phase: PhaseFigures['phase']) => phases.filter((p) => p.phase === phase);
    const summary = (phase: PhaseFigures['phase']) => ({
      phase,
      'ping p50 ms (median of rounds)': median(of(phase).map((p) => p.pingP50Ms)).toFixed(2),
      'ping p95 ms (median)': median(of(phase).map((p) => p.pingP95Ms)).toFixed(2),
      'tracker CPU % (median)': median(of(phase).map((p) => p.trackerCpuPct)).toFixed(1),
      'padded frames/s (median)': median(
        of(phase).map((p) => p.framesSent / flags.phase_sec),
      ).toFixed(0),
    });
    log(formatTable([summary('quiet'), summary('attack')]));
    const pingRatio = ratio(
      median(of('attack').map((p) => p.pingP50Ms)),
      median(of('quiet').map((p) => p.pingP50Ms)),
    );
    const cpuPerFrameUs = median(
      of('attack').map((attack, i) => {
        const quiet = of('quiet')[i]!;
        const extraCpuSec = ((attack.trackerCpuPct - quiet.trackerCpuPct) / 100) * flags.phase_sec;
        return attack.framesSent > 0 ? (extraCpuSec * 1e6) / attack.framesSent : 0;
      }),
    );
    log(
      `ping p50 under attack / quiet: ${pingRatio.toFixed(2)}x (${flags.rounds} rounds); ` +
        `extra tracker CPU per padded frame: ${cpuPerFrameUs.toFixed(0)} µs (median of rounds)`,
    );
    const path = writeResults('tracker-padded', { flags, phases, pingRatio, cpuPerFrameUs });
    log(`wrote ${path}`);
  },
};

export default scenario;
