import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Lab, LabStack } from '@coral-cdn/netlab';
import type { FleetReport } from '@coral-cdn/node-peer';
import { emptyCdnReasons } from '@coral-cdn/p2p-engine';
import { repoRoot } from '@coral-cdn/test-support';
import { RENDITION } from '../swarm/streams.js';
import type { ViewerOutcome } from './figures.js';
import type { Viewer } from './population.js';

const CLI_PATH = join(repoRoot, 'packages', 'node-peer', 'dist', 'cli.js');

/** What a run needs of one viewer, werift or browser: its outcome, and a way to stop it. */
export interface RunningViewer {
  /** Resolves once the viewer stopped (after its watch time, or killed): never rejects. */
  done: Promise<ViewerOutcome>;
  /** Stop it now (a hung viewer past its watch time); its last report counts. */
  kill(): void;
}

export interface ViewerRun {
  lab: Lab;
  stack: LabStack;
  viewer: Viewer;
  streamId: string;
  p2p: boolean;
  watchSec: number;
  /** Buffer target, s, the same with and without P2P. */
  bufferSec: number;
  /** Live: segments behind the live edge, the same with and without P2P (null: the player's). */
  liveSyncSegments: number | null;
  /** Where its logs go (`<logPath>.log`, and `.jsonl` for stats lines); null: not kept. */
  logPath: string | null;
}

/**
 * One viewer as a `coral-peer` process (one werift peer) in its own home. It announces its
 * home's uplink as its upload cap.
 */
export function startWeriftViewer(run: ViewerRun): RunningViewer {
  const { lab, stack, viewer, logPath } = run;
  const args = [
    CLI_PATH,
    '--origin',
    stack.origin.url,
    '--stream',
    run.streamId,
    '--rendition',
    RENDITION,
    '--duration-sec',
    String(run.watchSec),
    '--stats-interval-ms',
    '0',
    '--buffer-sec',
    String(run.bufferSec),
    ...(run.liveSyncSegments === null
      ? []
      : ['--live-sync-segments', String(run.liveSyncSegments)]),
    '--upload-kbps',
    String(Math.round(viewer.home.upMbit * 1000)),
    ...(run.p2p ? [] : ['--no-p2p']),
    ...(logPath === null ? [] : ['--log-level', 'debug']),
  ];
  const child = lab.spawnInHome(viewer.index + 1, process.execPath, args);
  if (logPath !== null) {
    child.stderr!.pipe(createWriteStream(`${logPath}.log`));
    child.stdout!.pipe(createWriteStream(`${logPath}.jsonl`));
  }
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  let last: FleetReport | null = null;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      const record = JSON.parse(line) as { type?: string } & FleetReport;
      if (record.type === 'summary' || record.type === 'stats') last = record;
    } catch {
      // werift's own output
    }
  });
  const done = new Promise<ViewerOutcome>((resolve) =>
    child.once('exit', () => resolve(outcomeOf(viewer, last, stderr))),
  );
  return { done, kill: () => child.kill('SIGKILL') };
}

function outcomeOf(viewer: Viewer, report: FleetReport | null, stderr: string): ViewerOutcome {
  const peer = report?.peers[0];
  return {
    ...viewerFields(viewer),
    httpBytes: report?.totals.httpBytes ?? 0,
    cdnReasons: { ...emptyCdnReasons(), ...peer?.engine?.cdnReasons },
    p2pBytes: report?.totals.p2pBytes ?? 0,
    uploadedBytes: report?.totals.uploadedBytes ?? 0,
    stalls: report?.totals.stalls ?? 0,
    stallMs: report?.totals.stallMs ?? 0,
    startupMs: report?.totals.startupMsMedian ?? null,
    playedSec: peer?.player?.playedSec ?? 0,
    error: peer?.error ?? (report ? null : `no report: ${stderr.slice(-300)}`),
  };
}

/** The population's side of an outcome. */
export function viewerFields(
  viewer: Viewer,
): Pick<ViewerOutcome, 'index' | 'nat' | 'upMbit' | 'rttMs' | 'lossRate'> {
  return {
    index: viewer.index,
    nat: viewer.home.nat,
    upMbit: viewer.home.upMbit,
    rttMs: viewer.rttMs,
    lossRate: viewer.home.lossRate,
  };
}
