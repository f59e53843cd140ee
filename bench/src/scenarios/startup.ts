import {
  launchChromium,
  operatorHeaders,
  startStack,
  uploadClip,
  waitFor,
  type Stack,
} from '@coral-cdn/test-support';
import { z } from 'zod';
import { intFlag, parseFlags } from '../lib/flags.js';
import { writeResults } from '../lib/results.js';
import type { Scenario } from '../lib/scenario.js';
import { formatTable, median, percentile } from '../lib/stats.js';
import { firstFrameMs } from '../startup/measure.js';
import { startPlainPage } from '../startup/plain-page.js';
import { insideNetns, rerunInsideNetns } from '../swarm/netns.js';

/**
 * Start-up against plain hls.js: what a Coral page costs a viewer before the first frame. On one
 * stack, a VOD and a live channel; per round, a fresh browser context per side (empty cache),
 * the sides in a rotating order: plain hls.js (its own script, the manifest URL at once), the
 * Coral reference page with the manifest URL (`?src=`: hls.js starts at once, the engine joins
 * when the playback info arrives) with P2P on and off, and the Coral page that asks the origin
 * first (no `src`). Start-up is navigation start → the video's first `playing` event, measured
 * the same way in every page. Runs inside a private network namespace.
 *
 * Flags: --rounds <n> (8), --timeout <s> (20).
 */
const SIDES = ['plain', 'coral-p2p', 'coral-cdn', 'coral-p2p-asks-origin'] as const;
type Side = (typeof SIDES)[number];

const startupFlags = z.object({
  rounds: intFlag(1, 100, 8),
  /** Seconds a page may take to start. */
  timeout: intFlag(1, 600, 20),
});

const scenario: Scenario = {
  name: 'startup',
  description: 'start-up of a Coral page against a plain hls.js page, VOD and live',
  async run(args) {
    // Parsed before the re-run too, so that a bad flag is reported here.
    const flags = parseFlags(startupFlags, args);
    if (!insideNetns()) {
      await rerunInsideNetns(args, 'startup');
      return;
    }
    const { rounds } = flags;
    const timeoutMs = flags.timeout * 1000;
    const stack = await startStack({
      originEnv: { LIVE_TESTSRC_SIZE: '426x240', LIVE_TESTSRC_FPS: '24' },
    });
    const plain = await startPlainPage();
    const browser = await launchChromium();
    try {
      await prepareStreams(stack);
      const results = [];
      for (const kind of ['vod', 'live'] as const) {
        const id = kind === 'vod' ? 'bench-vod' : 'bench-live';
        const src = `${stack.edge.url}/${kind}/${id}/master.m3u8`;
        const coral = (p2p: boolean, withSrc: boolean) =>
          `${stack.player.url}/?id=${id}&p2p=${p2p ? 1 : 0}` +
          (withSrc ? `&src=${encodeURIComponent(src)}` : '');
        const urls: Record<Side, string> = {
          plain: `${plain.url}/?src=${encodeURIComponent(src)}`,
          'coral-p2p': coral(true, true),
          'coral-cdn': coral(false, true),
          'coral-p2p-asks-origin': coral(true, false),
        };
        // One unmeasured page per side: a cold edge cache and cold bundles are not start-up.
        for (const side of SIDES) await firstFrameMs(browser, urls[side], timeoutMs);
        const samples: Record<Side, Array<number | null>> = {
          plain: [],
          'coral-p2p': [],
          'coral-cdn': [],
          'coral-p2p-asks-origin': [],
        };
        // Coral pages: their own start-up figure minus the outside one (should be ~0).
        const pageMinusOutside: number[] = [];
        for (let round = 0; round < rounds; round++) {
          const order = SIDES.map((_, i) => SIDES[(i + round) % SIDES.length]!);
          for (const side of order) {
            const frame = await firstFrameMs(browser, urls[side], timeoutMs);
            samples[side].push(frame?.ms ?? null);
            if (frame && frame.pageReportedMs !== null) {
              pageMinusOutside.push(frame.pageReportedMs - frame.ms);
            }
          }
          process.stdout.write(
            `${kind} round ${round + 1}/${rounds}: ` +
              SIDES.map((side) => `${side} ${fmt(samples[side].at(-1) ?? null)}`).join(', ') +
              '\n',
          );
        }
        results.push({
          ...summarize(kind, samples),
          pageMinusOutsideMs: {
            median: Math.round(median(pageMinusOutside)),
            min: Math.round(Math.min(...pageMinusOutside)),
            max: Math.round(Math.max(...pageMinusOutside)),
          },
        });
      }
      process.stdout.write(`${formatTable(results.flatMap((r) => r.rows))}\n`);
      const path = writeResults('startup', {
        rounds,
        measure: 'navigation start to the first playing event, fresh browser context per page',
        results: results.map(({ rows: _rows, ...figures }) => figures),
      });
      process.stdout.write(`wrote ${path}\n`);
    } finally {
      await browser.close().catch(() => undefined);
      await plain.close();
      await stack.stop();
    }
  },
};

async function prepareStreams(stack: Stack): Promise<void> {
  const created = await fetch(`${stack.origin.url}/api/live`, {
    method: 'POST',
    headers: operatorHeaders({ 'content-type': 'application/json' }),
    body: JSON.stringify({ id: 'bench-live', source: { type: 'testsrc' } }),
  });
  if (created.status !== 201) throw new Error(`live channel: ${created.status}`);
  await uploadClip(stack.origin, stack.dataDir.path, 'bench-vod', {
    durationSec: 30,
    width: 426,
    height: 240,
  });
  await waitFor(
    'the live channel with 4 segments on the edge',
    async () => {
      const r = await fetch(`${stack.edge.url}/live/bench-live/240p/index.m3u8`);
      return r.ok && ((await r.text()).match(/#EXTINF/g)?.length ?? 0) >= 4;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

const fmt = (ms: number | null) => (ms === null ? 'no start' : `${Math.round(ms)} ms`);

function summarize(kind: 'vod' | 'live', samples: Record<Side, Array<number | null>>) {
  const started = (side: Side) => samples[side].filter((ms): ms is number => ms !== null);
  const plainMedian = median(started('plain'));
  const sides = SIDES.map((side) => {
    const values = started(side);
    // Paired by round: each round's Coral page against that round's plain page.
    const paired = samples[side].flatMap((ms, round) => {
      const base = samples.plain[round];
      return ms !== null && base !== null && base !== undefined ? [ms / base] : [];
    });
    return {
      side,
      started: values.length,
      failed: samples[side].length - values.length,
      medianMs: Math.round(median(values)),
      p25Ms: Math.round(percentile(values, 25)),
      p75Ms: Math.round(percentile(values, 75)),
      ratioToPlain: round2(median(values) / plainMedian),
      pairedRatioMedian: round2(median(paired)),
      pairedRatioMin: round2(Math.min(...paired)),
      pairedRatioMax: round2(Math.max(...paired)),
      samplesMs: samples[side].map((ms) => (ms === null ? null : Math.round(ms))),
    };
  });
  const rows = sides.map(({ samplesMs: _samples, ...row }) => ({ kind, ...row }));
  return { kind, sides, rows };
}

const round2 = (value: number) => Math.round(value * 100) / 100;

export default scenario;
