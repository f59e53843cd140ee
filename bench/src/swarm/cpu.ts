import { readFileSync } from 'node:fs';
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

/** CPU ticks of every process in the trees under `roots`, summed per Chromium role. */
function ticksByRole(roots: readonly number[]): Record<string, number> {
  const byRole: Record<string, number> = {};
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
  }
  return byRole;
}

/** CPU seconds (user + system) used so far, by who used them. */
export interface CpuSample {
  /** Each service's process tree (the origin's includes its live ffmpeg). */
  services: Record<string, number>;
  /** Every Chromium process tree started by this process. */
  browsersSec: number;
  /** The same, per Chromium process role (renderer, gpu-process, network, browser, …). */
  browsersByRoleSec: Record<string, number>;
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
  const byRole = ticksByRole(browsers);
  const usage = process.cpuUsage();
  return {
    services,
    browsersSec: seconds(Object.values(byRole).reduce((sum, ticks) => sum + ticks, 0)),
    browsersByRoleSec: Object.fromEntries(
      Object.entries(byRole).map(([role, ticks]) => [role, seconds(ticks)]),
    ),
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
  peersSec: number;
  harnessSec: number;
  loadAverage1mBefore: number;
  loadAverage1mAfter: number;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

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
    browsersByRoleSec: Object.fromEntries(
      Object.entries(after.browsersByRoleSec).map(([role, sec]) => [
        role,
        round2(Math.max(0, sec - (before.browsersByRoleSec[role] ?? 0))),
      ]),
    ),
    peersSec: round2(Math.max(0, after.peersSec - before.peersSec)),
    harnessSec: round2(after.harnessSec - before.harnessSec),
    loadAverage1mBefore: round2(before.loadAverage1m),
    loadAverage1mAfter: round2(after.loadAverage1m),
  };
}
