/**
 * How many node peers one process runs: RSS and CPU of `coral-peer --count N` watching a live
 * 240p stream, for several N, each in a fresh process; plus the cost of idle werift
 * connections (RSS per connection, time to open them all at once).
 *
 *   coral-netns node dist/measure/capacity.js [--counts 1,10,25,50] [--duration-sec 40]
 *       [--idle-pairs 50] [--origin URL --stream ID]
 *
 * Without --origin it starts the repo's tracker and origin (apps/*\/dist, built) on free
 * loopback ports with a live test-pattern channel at 240p. Prints a table on stderr and one
 * JSON object on stdout. Run it inside coral-netns: it opens WebRTC connections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { PeerConnectionLike } from '@coral-cdn/p2p-engine';
import { createWeriftPeerConnection, type FleetReport } from '@coral-cdn/node-peer';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');
const cliPath = join(repoRoot, 'packages', 'node-peer', 'dist', 'cli.js');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const mib = (bytes: number) => round(bytes / 1024 / 1024);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function startApp(app: string, port: number, env: Record<string, string>) {
  const child = spawn(process.execPath, [join(repoRoot, 'apps', app, 'dist', 'main.js')], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitUntil(
    `${app} /healthz`,
    async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
    20_000,
  );
  return child;
}

/** Tracker + origin with a live 240p test pattern: returns the origin URL and stream id. */
async function startStack(): Promise<{ originUrl: string; streamId: string; stop: () => void }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'coral-capacity-'));
  const [originPort, trackerPort] = [await freePort(), await freePort()];
  const originUrl = `http://127.0.0.1:${originPort}`;
  // The origin's control API wants an operator key; this run makes its own.
  const apiKey = randomBytes(24).toString('base64url');
  const auth = { authorization: `Bearer ${apiKey}` };
  const children: ChildProcess[] = [];
  const stop = () => {
    for (const child of children) child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    children.push(
      await startApp('origin', originPort, {
        DATA_DIR: dataDir,
        EDGES: `local=${originUrl}`,
        TRACKER_URLS: `ws://127.0.0.1:${trackerPort}/ws`,
        LADDER: '240:400k:64k',
        LIVE_TESTSRC_SIZE: '426x240',
        OPERATOR_API_KEYS: apiKey,
        // Every peer asks for playback info from this one address.
        PLAYBACK_BURST: '100000',
      }),
    );
    children.push(
      await startApp('tracker', trackerPort, {
        TOKEN_JWKS_URL: `${originUrl}/.well-known/jwks.json`,
      }),
    );
    const streamId = 'capacity';
    const created = await fetch(`${originUrl}/api/live`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ id: streamId, source: { type: 'testsrc' } }),
    });
    if (!created.ok) throw new Error(`creating the live channel: ${created.status}`);
    await fetch(`${originUrl}/api/live/${streamId}/start`, { method: 'POST', headers: auth });
    await waitUntil(
      'the live playlist to hold 3 segments',
      async () => {
        const response = await fetch(`${originUrl}/live/${streamId}/240p/index.m3u8`);
        return response.ok && ((await response.text()).match(/#EXTINF/g) ?? []).length >= 3;
      },
      60_000,
    );
    return { originUrl, streamId, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

/** Open `pairs` connected werift pairs at once; RSS per connection once all are open and idle. */
async function measureIdle(pairs: number) {
  global.gc?.();
  await sleep(500);
  const before = process.memoryUsage().rss;
  const startedAt = performance.now();
  const open: PeerConnectionLike[] = [];
  await Promise.all(
    Array.from({ length: pairs }, async () => {
      const a = createWeriftPeerConnection();
      const b = createWeriftPeerConnection();
      open.push(a, b);
      a.onlocalcandidate = (c) => void (c && b.addRemoteCandidate(c));
      b.onlocalcandidate = (c) => void (c && a.addRemoteCandidate(c));
      const channel = a.createDataChannel('coral');
      const opened = new Promise<void>((resolve) => (channel.onopen = resolve));
      await a.acceptAnswer(await b.acceptOffer(await a.createOffer()));
      await opened;
    }),
  );
  const openMs = performance.now() - startedAt;
  await sleep(3000);
  global.gc?.();
  const after = process.memoryUsage().rss;
  for (const pc of open) pc.close();
  return {
    connections: pairs * 2,
    openAllMs: Math.round(openMs),
    rssPerConnectionMiB: round((after - before) / (pairs * 2) / 1024 / 1024, 2),
  };
}

interface RunFigures {
  count: number;
  peakRssMiB: number;
  /** (peak RSS - the smallest run's) / (count - its count): what one more peer costs. */
  marginalRssPerPeerMiB: number | null;
  steadyCpuPercent: number;
  stalls: number;
  stallMs: number;
  startupMsMedian: number | null;
  startupMsMax: number | null;
  offloadRatio: number;
  failed: number;
}

function runFleet(
  originUrl: string,
  streamId: string,
  count: number,
  durationSec: number,
): Promise<RunFigures> {
  const joinIntervalMs = 100;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [
        cliPath,
        ...['--origin', originUrl, '--stream', streamId, '--rendition', '240p'],
        ...['--count', String(count), '--join-interval-ms', String(joinIntervalMs)],
        ...['--duration-sec', String(durationSec), '--stats-interval-ms', '2000'],
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines: Array<FleetReport & { type: string }> = [];
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buffer.slice(0, newline)) as FleetReport & { type: string });
        buffer = buffer.slice(newline + 1);
      }
    });
    child.on('error', reject);
    child.on('exit', () => {
      const summary = lines.find((line) => line.type === 'summary');
      if (!summary) return reject(new Error(`coral-peer --count ${count} printed no summary`));
      // Steady state: after every peer joined and 10 s more.
      const steadyFromMs = count * joinIntervalMs + 10_000;
      const steady = lines.filter(
        (line) => line.type === 'stats' && line.elapsedMs >= steadyFromMs,
      );
      const peakRss = Math.max(...lines.map((line) => line.process.rssBytes));
      resolvePromise({
        count,
        peakRssMiB: mib(peakRss),
        marginalRssPerPeerMiB: null,
        steadyCpuPercent: round(
          steady.reduce((sum, line) => sum + line.process.cpuPercent, 0) /
            Math.max(1, steady.length),
        ),
        stalls: summary.totals.stalls,
        stallMs: summary.totals.stallMs,
        startupMsMedian: summary.totals.startupMsMedian,
        startupMsMax: summary.totals.startupMsMax,
        offloadRatio: round(summary.totals.offloadRatio, 3),
        failed: summary.totals.states.failed,
      });
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      counts: { type: 'string' },
      'duration-sec': { type: 'string' },
      'idle-pairs': { type: 'string' },
      origin: { type: 'string' },
      stream: { type: 'string' },
    },
  });
  const counts = (values.counts ?? '1,10,25,50')
    .split(',')
    .map(Number)
    .sort((a, b) => a - b);
  const durationSec = Number(values['duration-sec'] ?? 40);
  const idlePairs = Number(values['idle-pairs'] ?? 50);
  if (counts.some((n) => !Number.isInteger(n) || n < 1) || !(durationSec > 0) || idlePairs < 0) {
    process.stderr.write(
      'usage: capacity.js [--counts 1,10,25,50] [--duration-sec S] [--idle-pairs N]\n',
    );
    process.exit(2);
  }
  const idle = idlePairs > 0 ? await measureIdle(idlePairs) : null;
  if (idle) {
    process.stderr.write(
      `idle werift connections: ${idle.connections} opened at once in ${idle.openAllMs} ms, ` +
        `${idle.rssPerConnectionMiB} MiB RSS each\n`,
    );
  }
  const stack =
    values.origin !== undefined
      ? { originUrl: values.origin, streamId: values.stream ?? '', stop: () => undefined }
      : await startStack();
  const runs: RunFigures[] = [];
  try {
    for (const count of counts) {
      const figures = await runFleet(stack.originUrl, stack.streamId, count, durationSec);
      const base = runs[0];
      if (base && count > base.count) {
        figures.marginalRssPerPeerMiB = round(
          (figures.peakRssMiB - base.peakRssMiB) / (count - base.count),
          2,
        );
      }
      runs.push(figures);
      process.stderr.write(
        `count ${String(count).padStart(4)}: peak RSS ${figures.peakRssMiB} MiB ` +
          `(+${figures.marginalRssPerPeerMiB ?? '-'} MiB/peer), CPU ${figures.steadyCpuPercent}% of a core, ` +
          `stalls ${figures.stalls}, startup median ${figures.startupMsMedian} ms / max ` +
          `${figures.startupMsMax} ms, offload ${figures.offloadRatio}, failed ${figures.failed}\n`,
      );
    }
  } finally {
    stack.stop();
  }
  process.stdout.write(
    `${JSON.stringify({ durationSec, idle, runs, loadAverage: loadavg().map((v) => round(v, 2)) })}\n`,
  );
  process.exit(0);
}

void main();
