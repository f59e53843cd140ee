import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { childPids, descendantPids } from '@coral-cdn/test-support';
import { processTicks, processTreeTicks, TICKS_PER_SEC } from '../edge/cpu.js';

function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** A Chromium process's role, from its command line (renderer, gpu-process, network, …). */
export function chromiumRole(commandLine: string): string {
  const utility = /--utility-sub-type=([\w.]+)/.exec(commandLine)?.[1];
  if (utility) return utility.replace(/\.mojom\.\w+$/, '').replace(/^.*\./, '');
  return /--type=([\w-]+)/.exec(commandLine)?.[1] ?? 'browser';
}

/**
 * A thread's name for the CPU breakdown: `main` for a process's first thread (Chromium names it
 * after the binary), otherwise its kernel name (15 characters at most, e.g. `WebRTC_W_and_N`).
 */
export function threadLabel(pid: number, tid: number, comm: string): string {
  return tid === pid ? 'main' : comm.trim();
}

/** utime+stime ticks of each live thread of `pid`, by thread label (summed over equal labels). */
export function threadTicks(pid: number): Record<string, number> {
  const byThread: Record<string, number> = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byThread; // exited meanwhile
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const label = threadLabel(pid, Number(tid), comm);
      byThread[label] = (byThread[label] ?? 0) + Number(fields[11]) + Number(fields[12]);
    } catch {
      continue; // the thread ended while we read
    }
  }
  return byThread;
}

/**
 * CPU ticks of every process in the trees under `roots`, summed per Chromium role, and per
 * `role/thread` (live threads only: a thread that ended between two samples drops out).
 */
function ticksByRole(roots: readonly number[]): {
  byRole: Record<string, number>;
  byThread: Record<string, number>;
} {
  const byRole: Record<string, number> = {};
  const byThread: Record<string, number> = {};
  for (const pid of roots.flatMap((root) => [root, ...descendantPids(root)])) {
    let commandLine: string;
    try {
      // Zygote-forked children rewrite their argv into one space-separated string.
      commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    const role = chromiumRole(commandLine);
    byRole[role] = (byRole[role] ?? 0) + processTicks(pid);
    for (const [thread, ticks] of Object.entries(threadTicks(pid))) {
      const key = `${role}/${thread}`;
      byThread[key] = (byThread[key] ?? 0) + ticks;
    }
  }
  return { byRole, byThread };
}

/** CPU seconds (user + system) used so far, by who used them. */
export interface CpuSample {
  /** Each service's process tree (the origin's includes its live ffmpeg). */
  services: Record<string, number>;
  /** Every Chromium process tree started by this process. */
  browsersSec: number;
  /** The same, per Chromium process role (renderer, gpu-process, network, browser, …). */
  browsersByRoleSec: Record<string, number>;
  /** The same, per `role/thread` (e.g. `renderer/WebRTC_W_and_N`, `network/main`). */
  browsersByThreadSec: Record<string, number>;
  /** Every coral-peer process (their own `cpuTotalMs`, which survives their exit). */
  peersSec: number;
  /** This process (Playwright's client, sampling). */
  harnessSec: number;
  loadAverage1m: number;
}

export interface CpuSources {
  services: ReadonlyArray<{ name: string; pid: number }>;
  /** Node peer processes: excluded from the browser search, and their own CPU report. */
  peerPids: () => readonly number[];
  peersCpuSec: () => number;
}

/** Sample process-tree CPU of the benchmark's processes, grouped (see CpuSample). */
export function sampleCpu(sources: CpuSources): CpuSample {
  const seconds = (ticks: number) => ticks / TICKS_PER_SEC;
  const services: Record<string, number> = {};
  for (const service of sources.services)
    services[service.name] = seconds(processTreeTicks(service.pid));
  const known = new Set([...sources.services.map((s) => s.pid), ...sources.peerPids()]);
  const browsers = childPids(process.pid).filter(
    (pid) => !known.has(pid) && /chrom/i.test(commandName(pid)),
  );
  // One walk of the browsers' process trees: the total is the sum over roles.
  const { byRole, byThread } = ticksByRole(browsers);
  const usage = process.cpuUsage();
  const inSeconds = (ticks: Record<string, number>) =>
    Object.fromEntries(Object.entries(ticks).map(([key, value]) => [key, seconds(value)]));
  return {
    services,
    browsersSec: seconds(Object.values(byRole).reduce((sum, ticks) => sum + ticks, 0)),
    browsersByRoleSec: inSeconds(byRole),
    browsersByThreadSec: inSeconds(byThread),
    peersSec: sources.peersCpuSec(),
    harnessSec: (usage.user + usage.system) / 1e6,
    loadAverage1m: loadavg()[0]!,
  };
}

export interface CpuUse {
  servicesSec: Record<string, number>;
  servicesTotalSec: number;
  browsersSec: number;
  browsersByRoleSec: Record<string, number>;
  browsersByThreadSec: Record<string, number>;
  peersSec: number;
  harnessSec: number;
  loadAverage1mBefore: number;
  loadAverage1mAfter: number;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/** Each key's growth from `before` to `after` (never below 0: a process or thread that ended). */
function growth(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after).map(([key, sec]) => [key, round2(Math.max(0, sec - (before[key] ?? 0)))]),
  );
}

/**
 * CPU used between two samples. A process tree that lost members in between (a renderer that
 * exited) would count less: samples are taken while every viewer is still there.
 */
export function cpuBetween(before: CpuSample, after: CpuSample): CpuUse {
  const servicesSec: Record<string, number> = {};
  for (const [name, sec] of Object.entries(after.services))
    servicesSec[name] = round2(Math.max(0, sec - (before.services[name] ?? 0)));
  return {
    servicesSec,
    servicesTotalSec: round2(Object.values(servicesSec).reduce((sum, sec) => sum + sec, 0)),
    browsersSec: round2(Math.max(0, after.browsersSec - before.browsersSec)),
    browsersByRoleSec: growth(before.browsersByRoleSec, after.browsersByRoleSec),
    browsersByThreadSec: growth(before.browsersByThreadSec, after.browsersByThreadSec),
    peersSec: round2(Math.max(0, after.peersSec - before.peersSec)),
    harnessSec: round2(after.harnessSec - before.harnessSec),
    loadAverage1mBefore: round2(before.loadAverage1m),
    loadAverage1mAfter: round2(after.loadAverage1m),
  };
}
