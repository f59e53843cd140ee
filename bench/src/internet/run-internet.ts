import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  createLab,
  startCoturn,
  startLabStack,
  type Coturn,
  type Lab,
  type LabStack,
} from '@coral-cdn/netlab';
import { makeTempDir, operatorHeaders } from '@coral-cdn/test-support';
import { edgeCounters, prepareVod, startLiveChannel } from '../swarm/streams.js';
import { startBrowserViewer } from './browser-viewer.js';
import { summarize, type InternetEntry, type ViewerOutcome } from './figures.js';
import type { InternetOptions } from './options.js';
import { drawPopulation, type Viewer } from './population.js';
import { startWeriftViewer, type RunningViewer } from './werift-viewer.js';

const VOD_ID = 'internet-vod';
const LIVE_ID = 'internet-live';
/** 240p: 400 kbit/s video + 64 kbit/s audio (the ladder below). */
export const BITRATE_MBIT = 0.464;
/**
 * Buffer target of every viewer, s (the reference player's with P2P), the same with and
 * without P2P, so that CDN-only does not fetch further ahead and CDN bytes compare like for like.
 */
const BUFFER_SEC = 12;
const TURN_SECRET = 'coral-internet-bench-secret';

/**
 * Every viewer of the population watches `streamId`, joining `joinIntervalMs` apart. `logName`
 * names this run's log files (`<logName>-home<N>`) when the options keep logs.
 */
async function runOnce(
  lab: Lab,
  stack: LabStack,
  population: readonly Viewer[],
  streamId: string,
  p2p: boolean,
  options: InternetOptions,
  joinIntervalMs: number,
  logName: string,
): Promise<ViewerOutcome[]> {
  const start = options.viewerKind === 'chromium' ? startBrowserViewer : startWeriftViewer;
  const runs: RunningViewer[] = [];
  for (const viewer of population) {
    if (runs.length > 0) await new Promise((resolve) => setTimeout(resolve, joinIntervalMs));
    const logPath =
      options.logDir === null ? null : join(options.logDir, `${logName}-home${viewer.index + 1}`);
    runs.push(
      start({
        lab,
        stack,
        viewer,
        streamId,
        p2p,
        watchSec: options.watchSec,
        bufferSec: BUFFER_SEC,
        liveSyncSegments: options.liveSyncSegments,
        logPath,
      }),
    );
  }
  // Bounded: a process that hangs past its watch time (+ slack) is killed; its last report
  // (or none) counts.
  const killer = setTimeout(
    () => runs.forEach((run) => run.kill()),
    (options.watchSec + 60) * 1000,
  );
  try {
    return await Promise.all(runs.map((run) => run.done));
  } finally {
    clearTimeout(killer);
  }
}

/** The whole benchmark: one lab of N homes, VOD and LIVE, each with P2P and CDN-only. */
export async function runInternetBench(
  options: InternetOptions,
  print: (line: string) => void,
): Promise<{ entries: InternetEntry[]; population: Viewer[] }> {
  const population = drawPopulation(options.viewers, options.seed);
  for (const v of population)
    print(
      `home ${v.index + 1}: ${v.home.nat.padEnd(11)} up ${String(v.home.upMbit).padStart(4)} Mbit/s, ` +
        `RTT ${v.rttMs} ms, loss ${(v.home.lossRate * 100).toFixed(1)}%`,
    );
  let lab: Lab | undefined;
  let coturn: Coturn | undefined;
  let stack: LabStack | undefined;
  const dir = makeTempDir('coral-internet-');
  const entries: InternetEntry[] = [];
  if (options.logDir !== null) {
    mkdirSync(options.logDir, { recursive: true });
    print(`viewers' logs: ${options.logDir}`);
  }
  try {
    lab = await createLab({ homes: population.map((v) => v.home) });
    coturn = await startCoturn({ ip: lab.servicesIp, secret: TURN_SECRET });
    stack = await startLabStack(lab, {
      coturn,
      ladder: '240:400k:64k',
      originEnv: { LIVE_TESTSRC_SIZE: '426x240' },
      // One worker: each worker keeps its own /stats counters, and the CDN bytes are read there.
      edgeEnv: { EDGE_WORKERS: '1' },
    });
    for (const scenario of options.scenarios) {
      const live = scenario === 'live';
      const streamId = live ? LIVE_ID : VOD_ID;
      if (live) await startLiveChannel(stack, LIVE_ID);
      else await prepareVod(stack, dir.path, VOD_ID, options.watchSec + 30);
      const joinMs = live ? options.liveJoinIntervalMs : options.vodJoinIntervalMs;
      const outcomes: Record<'p2p' | 'cdn', ViewerOutcome[]> = { p2p: [], cdn: [] };
      // The CDN's own count: bytes the edge sent during each run.
      const edgeBytes: Record<'p2p' | 'cdn', number> = { p2p: 0, cdn: 0 };
      for (const mode of ['p2p', 'cdn'] as const) {
        print(`${scenario} ${mode}: ${population.length} viewers joining ${joinMs} ms apart…`);
        const before = (await edgeCounters(stack.edge.url)).bytesServed;
        outcomes[mode] = await runOnce(
          lab,
          stack,
          population,
          streamId,
          mode === 'p2p',
          options,
          joinMs,
          `${scenario}-${mode}`,
        );
        edgeBytes[mode] = (await edgeCounters(stack.edge.url)).bytesServed - before;
      }
      if (live)
        await fetch(`${stack.origin.url}/api/live/${LIVE_ID}/stop`, {
          method: 'POST',
          headers: operatorHeaders(),
        });
      const entry = summarize(scenario, population, outcomes, edgeBytes, BITRATE_MBIT);
      entries.push(entry);
      for (const line of entry.report) print(line);
    }
  } finally {
    await stack?.stop();
    await coturn?.stop();
    lab?.destroy();
    dir.remove();
  }
  return { entries, population };
}
