/**
 * How often two werift node peers in two cone homes open a data channel, and how fast, on a
 * lossy path: `--tries` set-ups over STUN (a real coturn), each in fresh processes, each home
 * losing `--loss` of its packets each way with `--delay-ms` one way.
 *
 *   npm run measure:open -- [--tries 16] [--loss 0.05] [--delay-ms 40] [--bound-ms 8000]
 *
 * A channel not open within `--bound-ms` counts as not opened; the engine gives a set-up 5 s
 * (`peerConnectTimeoutMs`). Prints one line per try on stderr and one JSON object on stdout.
 * With DEBUG set (e.g. `werift-dtls*`), each try's werift output is kept in
 * `open-<try>-offer.log` / `open-<try>-answer.log` under the system's temp folder.
 */
import { createWriteStream } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLab, startCoturn } from '@coral-cdn/netlab';
import { jsonLines, spawnPeerPair } from './peer-pair.js';

/** The engine's `peerConnectTimeoutMs`. */
const ENGINE_CONNECT_TIMEOUT_MS = 5_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tries: { type: 'string', default: '16' },
      loss: { type: 'string', default: '0.05' },
      'delay-ms': { type: 'string', default: '40' },
      'bound-ms': { type: 'string', default: '8000' },
    },
  });
  const tries = Number(values.tries);
  const lossRate = Number(values.loss);
  const boundMs = Number(values['bound-ms']);
  const delayMs = Number(values['delay-ms']);
  const home = { nat: 'cone' as const, upMbit: 10, lossRate, delayMs, jitterMs: delayMs / 10 };
  const lab = await createLab({ homes: [home, home] });
  const coturn = await startCoturn({ ip: lab.servicesIp, secret: 'coral-open-measure' });
  const openMs: Array<number | null> = [];
  const keepLogs = Boolean(process.env.DEBUG);
  const env = { ...process.env, CORAL_ICE_SERVERS: JSON.stringify([{ urls: coturn.stunUrl }]) };
  try {
    for (let index = 0; index < tries; index++) {
      const logs = keepLogs
        ? (role: string) => createWriteStream(join(tmpdir(), `open-${index}-${role}.log`))
        : undefined;
      const pair = spawnPeerPair(lab, 1, 2, env, logs);
      const opened = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), boundMs);
        jsonLines(pair.offerer, (line) => {
          if (line.type !== 'open') return;
          clearTimeout(timer);
          resolve(Number(line.ms));
        });
      });
      pair.kill();
      openMs.push(opened);
      process.stderr.write(`try ${index + 1}: ${opened === null ? 'not open' : `${opened} ms`}\n`);
    }
  } finally {
    await coturn.stop();
    lab.destroy();
  }
  const times = openMs.filter((ms): ms is number => ms !== null).sort((a, b) => a - b);
  const inTime = times.filter((ms) => ms <= ENGINE_CONNECT_TIMEOUT_MS).length;
  const summary = {
    tries,
    lossRate,
    delayMs,
    boundMs,
    opened: times.length,
    openedWithinEngineTimeout: inTime,
    openMsMedian: times.length ? times[Math.floor(times.length / 2)]! : null,
    openMsMax: times.length ? times[times.length - 1]! : null,
    openMs,
    loadAverage: loadavg(),
  };
  process.stderr.write(
    `opened ${times.length}/${tries} within ${boundMs} ms, ${inTime}/${tries} within the engine's ` +
      `${ENGINE_CONNECT_TIMEOUT_MS} ms; median ${summary.openMsMedian ?? '-'} ms, max ${summary.openMsMax ?? '-'} ms\n`,
  );
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exit(0);
}

void main();
