import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, spawnService, type RunningService } from '@coral-cdn/test-support';
import { z } from 'zod';
import { barChartSvg } from '../edge/chart.js';
import { processTreeTicks, TICKS_PER_SEC } from '../edge/cpu.js';
import { nginxAvailable, startNginx, type RunningNginx } from '../edge/nginx.js';
import { startVarnish, varnishAvailable, type RunningVarnish } from '../edge/varnish.js';
import { playlistPaths, SEGMENT_BYTES, segmentPaths } from '../edge/objects.js';
import { runWrk, type WrkResult } from '../edge/wrk.js';
import { booleanFlag, intFlag, parseFlags } from '../lib/flags.js';
import { writeResultFile, writeResults } from '../lib/results.js';
import type { Scenario } from '../lib/scenario.js';
import { formatTable, median, ratio } from '../lib/stats.js';

/**
 * Edge cache-hit throughput: 1 MiB segments and ~1 KiB playlists at 64 connections (wrk),
 * for the origin served directly (a plain node:http server with every object in memory: the
 * ceiling for a Node process), the Coral edge (EDGE_WORKERS: the core count), Varnish (Debian's
 * varnishd, malloc storage, built-in VCL) and nginx proxy_cache (1 worker, the same one
 * process as the edge; and 2 workers, one per core) in front of the same origin. Every target
 * is warmed first and checked to answer X-Cache: HIT; during the runs the origin must see no
 * request from a proxy. Rounds are interleaved (each target once per round) and medians
 * reported, because other work on the machine moves single runs.
 */

interface Target {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly proxy: boolean;
}

interface Sample extends WrkResult {
  readonly cpuPct: number;
  readonly originRequests: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const SLOW_LANE = 'coral edge, fast lane off';

async function originCount(originUrl: string): Promise<number> {
  const response = await fetch(`${originUrl}/count`);
  return ((await response.json()) as { served: number }).served;
}

/**
 * Fetch every path through a proxy until it answers a cache hit, on several connections so
 * that every worker process of a multi-process proxy has its copy.
 */
async function warm(target: Target, paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    let hits = 0;
    for (let i = 0; i < 16 && hits < 4; i++) {
      // A fresh connection each time: the kernel or the primary spreads them over workers.
      const response = await fetch(`${target.url}${path}`, { headers: { connection: 'close' } });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`${target.name} ${path}: ${response.status}`);
      if (response.headers.get('x-cache') === 'HIT') hits++;
    }
    if (hits === 0) throw new Error(`${target.name} ${path}: never answered a HIT`);
  }
}

const edgeFlags = z.object({
  duration: intFlag(1, 600, 8),
  rounds: intFlag(1, 100, 5),
  connections: intFlag(1, 10_000, 64),
  threads: intFlag(1, 64, 2),
  skip_nginx: booleanFlag(),
  skip_varnish: booleanFlag(),
  /** The edge under node --cpu-prof (profiles in bench/results/edge-profile). */
  profile: booleanFlag(),
  /** Also an edge with EDGE_FAST_LANE=false: node:http answers every hit. */
  slow_lane: booleanFlag(),
});

const scenario: Scenario = {
  name: 'edge',
  description:
    'edge hit throughput (1 MiB segments, playlists) vs node:http origin, nginx proxy_cache and varnish',
  async run(args) {
    const flags = parseFlags(edgeFlags, args);
    const { duration: durationSec, rounds, connections, threads } = flags;
    const withNginx = !flags.skip_nginx && nginxAvailable();
    const withVarnish = !flags.skip_varnish && varnishAvailable();
    const temp = makeTempDir('coral-bench-edge-');
    const log = (line: string) => process.stdout.write(`  ${line}\n`);
    const [load1m] = loadavg();
    if (load1m! > cpus().length) {
      log(
        `note: load average ${load1m!.toFixed(1)} on ${cpus().length} cores: other work will move these figures`,
      );
    }
    const services: RunningService[] = [];
    const nginxes: RunningNginx[] = [];
    const varnishes: RunningVarnish[] = [];
    try {
      const origin = await spawnService({
        app: join(here, '..', 'edge', 'origin-server.js'),
        name: 'bench-origin',
      });
      services.push(origin);
      const profileDir = join(temp.path, 'profile');
      if (flags.profile) mkdirSync(profileDir);
      const edge = await spawnService({
        // --profile: the same edge, started under the V8 sampling profiler.
        app: flags.profile ? join(here, '..', 'edge', 'profiled-edge.js') : 'edge',
        name: 'edge',
        env: {
          ORIGIN_URL: origin.url,
          EDGE_REGION: 'bench',
          LOG_LEVEL: 'warn',
          EDGE_PROFILE_DIR: profileDir,
        },
      });
      services.push(edge);
      const targets: Target[] = [
        {
          name: 'origin direct (node:http)',
          url: origin.url,
          pid: origin.process.pid!,
          proxy: false,
        },
        { name: 'coral edge', url: edge.url, pid: edge.process.pid!, proxy: true },
      ];
      if (flags.slow_lane) {
        const slowEdge = await spawnService({
          app: 'edge',
          name: 'edge-slow-lane',
          env: {
            ORIGIN_URL: origin.url,
            EDGE_REGION: 'bench',
            LOG_LEVEL: 'warn',
            EDGE_FAST_LANE: 'false',
          },
        });
        services.push(slowEdge);
        targets.push({
          name: SLOW_LANE,
          url: slowEdge.url,
          pid: slowEdge.process.pid!,
          proxy: true,
        });
      }
      if (withNginx) {
        for (const workers of [1, 2]) {
          const nginx = await startNginx({
            originUrl: origin.url,
            workers,
            dir: join(temp.path, `nginx-${workers}`),
          });
          nginxes.push(nginx);
          targets.push({
            name: `nginx proxy_cache (${workers} worker${workers > 1 ? 's' : ''})`,
            url: nginx.url,
            pid: nginx.pid,
            proxy: true,
          });
        }
      } else log('nginx not found (or --skip-nginx): measuring without it');
      if (withVarnish) {
        // varnishd reads its VCL as an unprivileged user: the path to it must be traversable.
        chmodSync(temp.path, 0o755);
        const varnish = await startVarnish({
          originUrl: origin.url,
          dir: join(temp.path, 'varnish'),
          storageBytes: 256 * 1024 * 1024,
        });
        varnishes.push(varnish);
        targets.push({
          name: 'varnish 7 (malloc)',
          url: varnish.url,
          pid: varnish.pid,
          proxy: true,
        });
      } else log('varnishd not found (or --skip-varnish): measuring without it');

      const kinds = [
        { kind: 'segment 1 MiB', paths: segmentPaths() },
        { kind: 'playlist ~1 KiB', paths: playlistPaths() },
      ];
      for (const target of targets.filter((t) => t.proxy))
        await warm(target, [...segmentPaths(), ...playlistPaths()]);
      log(
        `warm: every proxy answers HIT; ${rounds} round(s) of ${durationSec} s per target, wrk -t${threads} -c${connections}`,
      );

      const samples = new Map<string, Sample[]>();
      for (let round = 1; round <= rounds; round++) {
        for (const { kind, paths } of kinds) {
          for (const target of targets) {
            const countBefore = await originCount(origin.url);
            const ticksBefore = processTreeTicks(target.pid);
            const result = await runWrk({
              baseUrl: target.url,
              paths,
              threads,
              connections,
              durationSec,
              tempDir: temp.path,
            });
            const cpuPct =
              ((processTreeTicks(target.pid) - ticksBefore) / TICKS_PER_SEC / result.durationSec) *
              100;
            const originRequests = target.proxy ? (await originCount(origin.url)) - countBefore : 0;
            const sample: Sample = { ...result, cpuPct, originRequests };
            const key = `${kind}|${target.name}`;
            samples.set(key, [...(samples.get(key) ?? []), sample]);
            log(
              `round ${round} ${kind.padEnd(16)} ${target.name.padEnd(28)} ${result.reqPerSec.toFixed(0).padStart(7)} req/s ${result.mbPerSec.toFixed(0).padStart(6)} MB/s cpu ${cpuPct.toFixed(0)}%` +
                (result.errors > 0 ? ` errors ${result.errors}` : '') +
                (originRequests > 0 ? ` origin requests ${originRequests}` : ''),
            );
          }
        }
      }

      const rows = kinds.flatMap(({ kind }) =>
        targets.map((target) => {
          const runs = samples.get(`${kind}|${target.name}`)!;
          return {
            object: kind,
            target: target.name,
            reqPerSec: Math.round(median(runs.map((r) => r.reqPerSec))),
            mbPerSec: Math.round(median(runs.map((r) => r.mbPerSec))),
            p50Ms: Math.round(median(runs.map((r) => r.p50Ms)) * 100) / 100,
            p99Ms: Math.round(median(runs.map((r) => r.p99Ms)) * 100) / 100,
            serverCpuPct: Math.round(median(runs.map((r) => r.cpuPct))),
            // CPU the serving process tree spent per response: less sensitive to other load.
            serverCpuUsPerRequest: Math.round(
              median(runs.map((r) => ((r.cpuPct / 100) * 1e6) / r.reqPerSec)),
            ),
            errors: runs.reduce((sum, r) => sum + r.errors, 0),
            originRequestsDuringRuns: runs.reduce((sum, r) => sum + r.originRequests, 0),
            runs: runs.map((r) => ({
              reqPerSec: Math.round(r.reqPerSec),
              mbPerSec: Math.round(r.mbPerSec),
            })),
          };
        }),
      );
      process.stdout.write(
        `\n${formatTable(
          rows.map((row) => ({
            object: row.object,
            target: row.target,
            'req/s': row.reqPerSec,
            'MB/s': row.mbPerSec,
            'p50 ms': row.p50Ms,
            'p99 ms': row.p99Ms,
            'server cpu %': row.serverCpuPct,
            'cpu µs/req': row.serverCpuUsPerRequest,
            errors: row.errors,
          })),
        )}\n`,
      );
      const find = (kind: string, name: string) =>
        rows.find((r) => r.object === kind && r.target === name);
      const ratios = kinds.map(({ kind }) => {
        const edgeRow = find(kind, 'coral edge')!;
        const originRow = find(kind, 'origin direct (node:http)')!;
        const nginx1 = find(kind, 'nginx proxy_cache (1 worker)');
        const nginx2 = find(kind, 'nginx proxy_cache (2 workers)');
        const varnish = find(kind, 'varnish 7 (malloc)');
        const slowLane = find(kind, SLOW_LANE);
        return {
          edgeVsFastLaneOff: slowLane ? ratio(edgeRow.reqPerSec, slowLane.reqPerSec) : null,
          fastLaneOffVsVarnish:
            slowLane && varnish ? ratio(slowLane.reqPerSec, varnish.reqPerSec) : null,
          edgeVsVarnish: varnish ? ratio(edgeRow.reqPerSec, varnish.reqPerSec) : null,
          // Per-round ratios (rounds are interleaved): the spread of the comparison.
          edgeVsVarnishPerRound: varnish
            ? edgeRow.runs.map((run, i) => ratio(run.reqPerSec, varnish.runs[i]!.reqPerSec))
            : null,
          roundsEdgeAtLeastVarnish: varnish
            ? `${edgeRow.runs.filter((run, i) => run.reqPerSec >= varnish.runs[i]!.reqPerSec).length}/${rounds}`
            : null,
          object: kind,
          edgeVsOrigin: ratio(edgeRow.reqPerSec, originRow.reqPerSec),
          edgeVsNginx1Worker: nginx1 ? ratio(edgeRow.reqPerSec, nginx1.reqPerSec) : null,
          edgeVsNginx2Workers: nginx2 ? ratio(edgeRow.reqPerSec, nginx2.reqPerSec) : null,
          // Rounds are interleaved, so each round is a fair duel under the same background.
          roundsEdgeAtLeastNginx1Worker: nginx1
            ? `${edgeRow.runs.filter((run, i) => run.reqPerSec >= nginx1.runs[i]!.reqPerSec).length}/${rounds}`
            : null,
          cpuPerRequestEdgeVsNginx: nginx1
            ? ratio(edgeRow.serverCpuUsPerRequest, nginx1.serverCpuUsPerRequest)
            : null,
        };
      });
      process.stdout.write(
        `\n${formatTable(
          ratios.map((r) => ({
            object: r.object,
            'edge / origin direct': r.edgeVsOrigin,
            'edge / varnish': r.edgeVsVarnish ?? 'n/a',
            'edge / fast lane off': r.edgeVsFastLaneOff ?? 'n/a',
            'rounds edge ≥ varnish': r.roundsEdgeAtLeastVarnish ?? 'n/a',
            'edge / nginx 1 worker': r.edgeVsNginx1Worker ?? 'n/a',
            'edge / nginx 2 workers': r.edgeVsNginx2Workers ?? 'n/a',
            'rounds edge ≥ nginx 1w': r.roundsEdgeAtLeastNginx1Worker ?? 'n/a',
            'cpu/req edge / nginx': r.cpuPerRequestEdgeVsNginx ?? 'n/a',
          })),
        )}\n`,
      );
      const [segmentVarnish, playlistVarnish] = [
        ratios[0]!.edgeVsVarnish,
        ratios[1]!.edgeVsVarnish,
      ];
      if (segmentVarnish !== null && playlistVarnish !== null) {
        log(
          `targets: 1 MiB segment hits ≥ 1.0× varnish: ${segmentVarnish >= 1 ? 'met' : 'NOT met'} (${segmentVarnish}); ` +
            `playlist hits ≥ 0.8× varnish: ${playlistVarnish >= 0.8 ? 'met' : 'NOT met'} (${playlistVarnish})`,
        );
      }
      const path = writeResults('edge', {
        method: {
          tool: `wrk -t${threads} -c${connections} -d${durationSec}s, paths cycled per request`,
          rounds,
          segmentBytes: SEGMENT_BYTES,
          segments: segmentPaths().length,
          playlists: playlistPaths().length,
          mbIs: '10^6 bytes (body and headers as wrk counts them)',
          statistic: 'median over rounds',
          note: 'client (wrk) and servers share the machine; server cpu % is the target process tree over the run',
        },
        rows,
        ratios,
      });
      const svg = writeResultFile(
        'edge.svg',
        barChartSvg({
          title: `Edge cache hits, wrk -c${connections} (median of ${rounds})`,
          groups: kinds.map(({ kind }, index) => ({
            label: kind,
            unit: index === 0 ? 'MB/s' : 'req/s',
            bars: rows
              .filter((r) => r.object === kind)
              .map((r) => ({ name: r.target, value: index === 0 ? r.mbPerSec : r.reqPerSec })),
          })),
        }),
      );
      log(`results: ${path}, ${svg}`);
    } finally {
      for (const nginx of nginxes) await nginx.stop();
      for (const varnish of varnishes) await varnish.stop();
      for (const service of services.reverse()) await service.stop();
      if (flags.profile) {
        // The process's own profile, and one per worker process (EDGE_WORKERS > 1).
        const dir = join(temp.path, 'profile');
        const names = existsSync(dir) ? readdirSync(dir) : [];
        for (const name of names.filter((file) => file.endsWith('.cpuprofile'))) {
          const text = readFileSync(join(dir, name), 'utf8');
          log(`edge CPU profile: ${writeResultFile(name, text)}`);
        }
      }
      temp.remove();
    }
  },
};

export default scenario;
