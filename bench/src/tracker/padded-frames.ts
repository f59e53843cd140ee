import { generateKeyPairSync } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { spawnService, waitFor } from '@coral-cdn/test-support';
import WebSocket from 'ws';
import { percentile } from '../lib/stats.js';
import type { AttackerCounts, AttackerData } from './padded-attacker.js';
import { cpuSeconds } from './run-tracker-bench.js';

/**
 * Padded frames against the tracker: a legitimate client pings the tracker every
 * `pingIntervalMs` while, in alternate phases, `attackers` hostile sockets send pings padded
 * with `extraKeys` JSON keys (schema-valid but for the extra keys) under the message rate
 * limit. The tracker refuses such a frame before parsing it and closes the socket after
 * `MAX_STRIKES`; the attacker reconnects at once. One phase's figures: the legitimate ping's
 * round trip (p50/p95), the tracker's CPU share, and what the attackers sent.
 */
export interface PaddedOptions {
  rounds: number;
  phaseMs: number;
  attackers: number;
  extraKeys: number;
  /** Each hostile socket's send interval: 10 ms is the default limit of 100 messages/s. */
  attackIntervalMs: number;
  pingIntervalMs: number;
  log: (line: string) => void;
}

export interface PhaseFigures {
  round: number;
  phase: 'quiet' | 'attack';
  pings: number;
  pingP50Ms: number;
  pingP95Ms: number;
  trackerCpuPct: number;
  framesSent: number;
  closes: number;
}

const here = dirname(fileURLToPath(import.meta.url));

/** A socket that pings every `intervalMs` and keeps the round trips of the current phase. */
async function openPinger(url: string, intervalMs: number) {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let rttsMs: number[] = [];
  socket.on('message', (raw: Buffer) => {
    const message = JSON.parse(raw.toString('utf8')) as { type?: string; t?: number };
    if (message.type === 'pong' && message.t !== undefined)
      rttsMs.push(performance.now() - message.t);
  });
  const timer = setInterval(
    () => socket.send(JSON.stringify({ type: 'ping', t: performance.now() })),
    intervalMs,
  );
  return {
    takeRtts(): number[] {
      const taken = rttsMs;
      rttsMs = [];
      return taken;
    },
    close(): void {
      clearInterval(timer);
      socket.close();
    },
  };
}

function ask(worker: Worker, command: 'count' | 'stop'): Promise<AttackerCounts> {
  return new Promise((resolve) => {
    worker.once('message', resolve);
    worker.postMessage(command);
  });
}

export async function runPaddedFrames(options: PaddedOptions): Promise<PhaseFigures[]> {
  const { publicKey } = generateKeyPairSync('ed25519');
  const tracker = await spawnService({
    app: 'tracker',
    name: 'coral-tracker',
    // Defaults for the limits under test (rate, strikes); the attackers share one address.
    env: { TOKEN_PUBLIC_KEY: publicKey.export({ format: 'jwk' }).x!, LOG_LEVEL: 'warn' },
  });
  const trackerPid = tracker.process.pid!;
  const url = `ws://127.0.0.1:${tracker.port}/ws`;
  const pinger = await openPinger(url, options.pingIntervalMs);
  const phases: PhaseFigures[] = [];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const phase of ['quiet', 'attack'] as const) {
        const worker =
          phase === 'attack'
            ? new Worker(join(here, 'padded-attacker.js'), {
                workerData: {
                  url,
                  connections: options.attackers,
                  extraKeys: options.extraKeys,
                  intervalMs: options.attackIntervalMs,
                } satisfies AttackerData,
              })
            : null;
        // The phase starts once the attack is under way (a first frame sent).
        if (worker)
          await waitFor(
            'the attack under way',
            async () => (await ask(worker, 'count')).framesSent > 0,
          );
        pinger.takeRtts();
        const before = { cpuSec: cpuSeconds(trackerPid), atMs: performance.now() };
        const start = worker ? await ask(worker, 'count') : { framesSent: 0, closes: 0 };
        await new Promise((resolve) => setTimeout(resolve, options.phaseMs));
        const end = worker ? await ask(worker, 'stop') : { framesSent: 0, closes: 0 };
        const cpuPct =
          ((cpuSeconds(trackerPid) - before.cpuSec) * 100_000) / (performance.now() - before.atMs);
        await worker?.terminate();
        const rtts = pinger.takeRtts();
        const figures: PhaseFigures = {
          round,
          phase,
          pings: rtts.length,
          pingP50Ms: percentile(rtts, 50),
          pingP95Ms: percentile(rtts, 95),
          trackerCpuPct: cpuPct,
          framesSent: end.framesSent - start.framesSent,
          closes: end.closes - start.closes,
        };
        options.log(
          `round ${round} ${phase}: ping p50 ${figures.pingP50Ms.toFixed(2)} ms, p95 ${figures.pingP95Ms.toFixed(2)} ms, tracker CPU ${cpuPct.toFixed(1)}%, ${figures.framesSent} padded frames`,
        );
        phases.push(figures);
      }
    }
  } finally {
    pinger.close();
    await tracker.stop();
  }
  return phases;
}
