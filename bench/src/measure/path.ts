/**
 * werift data channels between the internet benchmark's homes, against the simulator's path
 * model: for pairs of cone homes of the population (`--viewers`, `--seed`), the channel's
 * set-up time and the time to move each of `--segments` 240p segments (116 kB, as the engine
 * sends them) from home A to home B, beside what the simulator's model gives for that path
 * (set-up, and size / min(uplink, loss cap) + one RTT).
 *
 *   coral-netns node dist/measure/path.js [--pairs 2>4,4>6,5>6] [--segments 12] [--gap-ms 0]
 *
 * Prints one line per pair on stderr and one JSON object on stdout.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createLab, startCoturn } from '@coral-cdn/netlab';
import { drawPopulation, type Viewer } from '@coral-cdn/swarm-sim/internet-lab';
import { canConnect, lossCapBytesPerSec, setupDelayMs } from '@coral-cdn/swarm-sim';
import { jsonLines, spawnPeerPair } from './peer-pair.js';

const SEGMENT_BYTES = 116_000;
const PAIR_BOUND_MS = 120_000;

interface PairResult {
  from: number;
  to: number;
  rttMs: number;
  lossRate: number;
  upMbit: number;
  openMs: number | null;
  segmentMs: number[];
  modelSetupMs: number;
  modelSegmentMs: number;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : NaN;
};

/** The simulator's figures for a path between two homes. */
function model(
  a: Viewer,
  b: Viewer,
): { rttMs: number; loss: number; setupMs: number; segmentMs: number } {
  const rttMs = a.rttMs + b.rttMs;
  const loss = 1 - (1 - a.home.lossRate) * (1 - b.home.lossRate);
  const route = canConnect(a.home.nat, b.home.nat);
  const rate = Math.min((a.home.upMbit * 1e6) / 8, lossCapBytesPerSec(rttMs, loss));
  return {
    rttMs,
    loss,
    setupMs: setupDelayMs(route, rttMs),
    segmentMs: (SEGMENT_BYTES / rate) * 1000 + rttMs,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      viewers: { type: 'string' },
      seed: { type: 'string' },
      pairs: { type: 'string' },
      segments: { type: 'string' },
      'gap-ms': { type: 'string' },
      'open-bound-ms': { type: 'string' },
    },
  });
  const population = drawPopulation(Number(values.viewers ?? 6), Number(values.seed ?? 1));
  const pairs = (values.pairs ?? '2>4,4>6,5>6,6>5,2>5').split(',').map((p) => {
    const [from, to] = p.split('>').map(Number);
    return { from: from!, to: to! };
  });
  const segments = Number(values.segments ?? 12);
  const gapMs = Number(values['gap-ms'] ?? 0);
  // A channel not open by then counts as never opening (the engine gives up after 5 s).
  const openBoundMs = Number(values['open-bound-ms'] ?? 20_000);
  const lab = await createLab({ homes: population.map((v) => v.home) });
  const coturn = await startCoturn({ ip: lab.servicesIp, secret: 'coral-path-measure' });
  const results: PairResult[] = [];
  try {
    for (const { from, to } of pairs) {
      const a = population[from - 1]!;
      const b = population[to - 1]!;
      const env = { ...process.env, CORAL_ICE_SERVERS: JSON.stringify([{ urls: coturn.stunUrl }]) };
      const { offerer, answerer, kill } = spawnPeerPair(lab, from, to, env);
      const plan = JSON.stringify({ type: 'plan', segments, segmentBytes: SEGMENT_BYTES, gapMs });
      answerer.stdin!.write(`${plan}\n`);
      const m = model(a, b);
      const result: PairResult = {
        from,
        to,
        rttMs: m.rttMs,
        lossRate: Math.round(m.loss * 10000) / 10000,
        upMbit: a.home.upMbit,
        openMs: null,
        segmentMs: [],
        modelSetupMs: Math.round(m.setupMs),
        modelSegmentMs: Math.round(m.segmentMs),
      };
      await new Promise<void>((resolve) => {
        let bound = setTimeout(resolve, openBoundMs);
        jsonLines(offerer, (line) => {
          if (line.type === 'open') {
            result.openMs = Number(line.ms);
            clearTimeout(bound);
            bound = setTimeout(resolve, PAIR_BOUND_MS);
            offerer.stdin!.write(`${plan}\n`);
          }
          if (line.type === 'segment') result.segmentMs.push(Number(line.ms));
          if (line.type === 'done') {
            clearTimeout(bound);
            resolve();
          }
        });
      });
      kill();
      results.push(result);
      process.stderr.write(
        `${from}>${to}: RTT ${m.rttMs} ms, loss ${(m.loss * 100).toFixed(1)}%, up ${a.home.upMbit} Mbit/s; ` +
          `open ${result.openMs ?? '-'} ms (model ${result.modelSetupMs}); segment median ${median(result.segmentMs)} ms, ` +
          `max ${result.segmentMs.length ? Math.max(...result.segmentMs) : '-'} ms (model ${result.modelSegmentMs}); ${result.segmentMs.join(' ')}\n`,
      );
    }
  } finally {
    await coturn.stop();
    lab.destroy();
  }
  process.stdout.write(
    `${JSON.stringify({ segmentBytes: SEGMENT_BYTES, gapMs, loadAverage: loadavg(), results })}\n`,
  );
  process.exit(0);
}

void main();
