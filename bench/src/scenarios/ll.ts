import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { operatorHeaders, repoRoot, startStack, waitFor } from '@coral-cdn/test-support';
import { runPhase, type PhaseFigures } from '../ll/phase.js';
import { parseFlags } from '../lib/flags.js';
import { llFlags, MODES, type Mode } from '../ll/options.js';
import { writeResults } from '../lib/results.js';
import type { Scenario } from '../lib/scenario.js';
import { formatTable } from '../lib/stats.js';

/**
 * Low-latency live: the same test pattern as an LL-HLS channel (0.5 s parts) and as a classic
 * live channel (2 s segments), each watched by N real Chromium viewers (240p), one mode after
 * the other in the same run: LL with P2P on, LL CDN-only, classic live with P2P on. Per mode:
 * hls.js's live latency (median, p95 over every viewer's 1 s samples in the window), offload
 * in the window, stalls in the window, start-up. Runs inside a private network namespace.
 *
 * Flags: --viewers <n> (6), --window <s> (30), --part <s> (0.5), --modes <list> (p2p,cdn,classic:
 * LL with P2P, CDN-only LL, classic live with P2P), --rounds <n> (1; each round runs every mode
 * against the same stack, in order).
 */
const scenario: Scenario = {
  name: 'll',
  description: 'LL-HLS live latency, offload, stalls: LL P2P vs CDN-only LL vs classic live',
  async run(flags) {
    // Checked before the private namespace: a bad flag is a one-line error here.
    const options = parseFlags(llFlags, flags);
    if (process.env.CORAL_NETNS !== '1') {
      await rerunInside(flags);
      return;
    }
    const { viewers, window: windowSec, part: partTargetSec, modes, rounds } = options;
    const stack = await startStack({
      originEnv: { LIVE_TESTSRC_SIZE: '426x240', LIVE_TESTSRC_FPS: '24', LADDER: '240:400k:64k' },
    });
    try {
      for (const [id, extra] of [
        ['bench-ll', { lowLatency: { partTargetSec } }],
        ['bench-live', {}],
      ] as const) {
        const created = await fetch(`${stack.origin.url}/api/live`, {
          method: 'POST',
          headers: operatorHeaders({ 'content-type': 'application/json' }),
          body: JSON.stringify({ id, source: { type: 'testsrc' }, ...extra }),
        });
        if (created.status !== 201) throw new Error(`${id}: ${created.status}`);
      }
      await waitFor(
        'both channels with 4 segments on the edge',
        async () => {
          for (const id of ['bench-ll', 'bench-live']) {
            const r = await fetch(`${stack.edge.url}/live/${id}/240p/index.m3u8`);
            if (!r.ok || ((await r.text()).match(/#EXTINF/g)?.length ?? 0) < 4) return false;
          }
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      const common = {
        playerUrl: stack.player.url,
        viewers,
        windowSec,
        joinGapMs: 1000,
        settleSec: 8,
      };
      const figures: Array<PhaseFigures & { round: number; mode: Mode }> = [];
      for (let round = 1; round <= rounds; round++) {
        for (const mode of modes) {
          const { ll, ...phase } = MODES[mode];
          process.stdout.write(
            `round ${round}, ${phase.label}: ${viewers} viewers, ${windowSec} s window…\n`,
          );
          const startedMs = Date.now();
          const result = await runPhase({ ...common, ...phase, partSec: ll ? partTargetSec : 0 });
          figures.push({ round, mode, ...result });
          process.stdout.write(
            `  ${JSON.stringify(result)} (${Math.round((Date.now() - startedMs) / 1000)} s)\n`,
          );
        }
      }
      process.stdout.write(`${formatTable(figures.map(tableRow))}\n`);
      const path = writeResults('ll', {
        viewers,
        windowSec,
        partTargetSec,
        modes,
        rounds,
        phases: figures,
      });
      process.stdout.write(`wrote ${path}\n`);
    } finally {
      await stack.stop();
    }
  },
};

/** The figures a reader compares across modes, one row per round and mode. */
function tableRow(f: PhaseFigures & { round: number }): Record<string, string | number> {
  return {
    round: f.round,
    mode: f.label,
    'latency med s': f.latencyMedianSec,
    'latency p95 s': f.latencyP95Sec,
    offload: f.offload,
    stalls: f.stallsInWindow,
    'startup med ms': f.startupMedianMs,
    'media KB/viewer': f.mediaKbPerViewer,
    'parts KB/viewer': f.partKbPerViewer,
    'segments KB/viewer': f.segmentKbPerViewer,
    'CDN KB/viewer': f.cdnMediaKbPerViewer,
    'CDN req/viewer pl/part/seg': [
      f.cdnRequestsPerViewer.playlist,
      f.cdnRequestsPerViewer.part,
      f.cdnRequestsPerViewer.segment,
    ]
      .map((n) => n.toFixed(1))
      .join('/'),
  };
}

async function rerunInside(flags: Readonly<Record<string, string>>): Promise<void> {
  const netnsScript = createRequire(import.meta.url).resolve('@coral-cdn/netns/netns-run.mjs');
  const runScript = join(repoRoot, 'bench', 'dist', 'run.js');
  const args = Object.entries(flags).map(([key, value]) => `--${key}=${value}`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [netnsScript, process.execPath, runScript, 'll', ...args],
      {
        stdio: 'inherit',
      },
    );
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve(exitCode));
  });
  if (code !== 0) throw new Error(`the ll benchmark inside coral-netns exited with ${code}`);
}

export default scenario;
