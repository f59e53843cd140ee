import {
  launchChromium,
  openViewer,
  sleep,
  startStack,
  waitFor,
  type Stack,
  type Viewer,
} from '@coral-cdn/test-support';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeerProcess } from './support/node-peers.js';
import { swarmPeers } from './support/services.js';
import {
  browserMember,
  formatFigures,
  processMember,
  sample,
  startLiveChannel,
  totals,
  windowOf,
  type Member,
  type Sample,
} from './support/swarm.js';
import { explain } from './support/watch.js';

/**
 * One live channel (240p test pattern) watched by a mixed swarm: three Chromium pages and four
 * werift peers in two `coral-peer` processes. In a steady swarm most bytes must come from peers
 * and nobody stalls; then a page is closed and a serving process SIGKILLed (no goodbye to
 * anyone) and the rest play on without a stall.
 */
const CHANNEL_ID = 'e2e-swarm';
const SWARM_ID = `${CHANNEL_ID}/240p`;
const BROWSERS = 3;
const PROCESSES = 2;
const PEERS_PER_PROCESS = 2;
const VIEWERS = BROWSERS + PROCESSES * PEERS_PER_PROCESS;

/**
 * Offload floor over the steady 20 s window. The live bound for 7 viewers of one rendition is
 * (N-1)/N = 85.7%. Measured here on the 2 shared cores (a browser benchmark and containers
 * taking turns with this suite): 82.6% and 82.9% (`npm test -w e2e` prints the table). The
 * floor leaves ~20 points for a slower machine or a noisier neighbour (data channels that ramp
 * up slowly, more deadline fallbacks to the CDN), and still fails a swarm that stopped sharing
 * (0%) or shares by chance: one viewer's worth is 1/7 = 14%, half the bound 43%.
 */
const OFFLOAD_FLOOR = 0.6;

let stack: Stack;
let browser: Browser;
const viewers: Viewer[] = [];
const processes: PeerProcess[] = [];
const members: Member[] = [];
/** The steady window's figures (the second test picks who leaves from them). */
let steady: Sample | null = null;

const why = async (extra = '') =>
  `${extra}\n${processes.map((p) => p.describe()).join('\n')}\n${await explain(viewers, stack)}`;

beforeAll(async () => {
  stack = await startStack({ originEnv: { LIVE_TESTSRC_SIZE: '426x240', LIVE_TESTSRC_FPS: '24' } });
  await startLiveChannel(stack, CHANNEL_ID);
  browser = await launchChromium();
});

afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  await browser?.close();
  await stack?.stop();
});

describe('a live swarm of Chromium pages and werift peers', () => {
  it('takes most bytes from peers in the steady swarm, with no stall', async () => {
    const url = `${stack.player.url}/?id=${CHANNEL_ID}&p2p=1`;
    // Browsers and processes join interleaved, a second or so apart, as viewers would.
    for (let i = 0; i < Math.max(BROWSERS, PROCESSES); i++) {
      if (i < BROWSERS) {
        const viewer = await openViewer(browser, url);
        viewers.push(viewer);
        members.push(browserMember(`page${i + 1}`, viewer));
      }
      if (i < PROCESSES) {
        const peers = PeerProcess.start(`proc${i + 1}`, stack, CHANNEL_ID, {
          count: PEERS_PER_PROCESS,
          joinIntervalMs: 1_000,
        });
        processes.push(peers);
        members.push(processMember(`proc${i + 1}`, peers));
      }
      await sleep(1_000);
    }
    await waitFor(
      `all ${VIEWERS} viewers playing, in the tracker's swarm`,
      async () => {
        const now = await sample(members);
        const playing = now.rows.filter(
          (row) => row.startupMs !== null && row.trackerConnected && row.peers >= 1,
        ).length;
        return playing === VIEWERS && (await swarmPeers(stack.tracker, SWARM_ID)) === VIEWERS;
      },
      { timeoutMs: 45_000, intervalMs: 500 },
    ).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${formatFigures('now', (await sample(members)).rows)}`);
    });

    // Warm-up: start-up bytes come from the CDN, before any peer is connected.
    await sleep(6_000);
    const start = await sample(members);
    await sleep(20_000);
    const end = await sample(members);
    const window = windowOf(start, end);
    steady = window;
    const report = formatFigures(`steady window (${window.atMs} ms)`, window.rows);
    console.log(`${formatFigures('since join', end.rows)}\n${report}`);

    expect(window.rows).toHaveLength(VIEWERS);
    const sum = totals(window.rows);
    if (sum.offloadRatio < OFFLOAD_FLOOR) {
      throw new Error(`offload ${sum.offloadRatio} < ${OFFLOAD_FLOOR}\n${report}\n${await why()}`);
    }
    // Every verified peer byte was someone's upload. Counted since join (a window's edges cut
    // transfers between sender and receiver), and the processes' figures lag by up to one
    // 250 ms stats line: hence 10% of slack.
    const sinceJoin = totals(end.rows);
    expect(sinceJoin.uploadedBytes).toBeGreaterThan(0.9 * sinceJoin.p2pBytes);
    // Both kinds of peer take part: pages and werift peers each receive and upload.
    for (const kind of ['browser', 'werift'] as const) {
      const rows = window.rows.filter((row) => row.kind === kind);
      expect(totals(rows).p2pBytes, `${kind} received from peers`).toBeGreaterThan(0);
      expect(totals(rows).uploadedBytes, `${kind} uploaded`).toBeGreaterThan(0);
    }
    for (const row of window.rows) {
      expect(row.stalls, `${row.name} stalls\n${report}`).toBe(0);
      expect(row.integrityFailures, `${row.name} integrity failures`).toBe(0);
      // 20 s of wall time: the playhead moved on at about 1x.
      expect(row.playedSec, `${row.name} played\n${report}`).toBeGreaterThan(16);
    }
  });

  it('plays on without a stall when a page closes and a serving process is SIGKILLed', async () => {
    expect(steady, 'the steady swarm ran first').not.toBeNull();
    const before = await sample(members);
    // Leave with the page and the process that uploaded the most in the steady window: the
    // ones the others relied on.
    const uploadOf = (prefix: string) =>
      totals(steady!.rows.filter((row) => row.name.startsWith(prefix))).uploadedBytes;
    const pageIndex = viewers
      .map((_viewer, index) => index)
      .sort((a, b) => uploadOf(`page${b + 1}`) - uploadOf(`page${a + 1}`))[0]!;
    const processIndex = processes
      .map((_process, index) => index)
      .sort((a, b) => uploadOf(`proc${b + 1}`) - uploadOf(`proc${a + 1}`))[0]!;
    const leavingPage = `page${pageIndex + 1}`;
    const leavingProcess = `proc${processIndex + 1}`;
    console.log(
      `leaving: ${leavingPage} (uploaded ${uploadOf(leavingPage)} B in the steady window), ` +
        `${leavingProcess} (uploaded ${uploadOf(leavingProcess)} B in the steady window)`,
    );
    expect(uploadOf(leavingPage), `${leavingPage} is serving`).toBeGreaterThan(0);
    expect(uploadOf(leavingProcess), `${leavingProcess} is serving`).toBeGreaterThan(0);

    await Promise.all([viewers[pageIndex]!.context.close(), processes[processIndex]!.kill()]);
    const staying = members.filter(
      (member) => member.name !== leavingPage && member.name !== leavingProcess,
    );
    const remaining = VIEWERS - 1 - PEERS_PER_PROCESS;
    // The tracker notices both (closed sockets) and tells the swarm.
    await waitFor(
      `the tracker's swarm down to ${remaining}`,
      async () => (await swarmPeers(stack.tracker, SWARM_ID)) === remaining,
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    const at = await sample(staying);
    await sleep(15_000);
    const after = await sample(staying);
    const window = windowOf(at, after);
    const report = formatFigures(`after the departures (${window.atMs} ms)`, window.rows);
    console.log(report);

    expect(window.rows).toHaveLength(remaining);
    for (const row of window.rows) {
      expect(row.stalls, `${row.name} stalls\n${report}`).toBe(0);
      expect(row.playedSec, `${row.name} played\n${report}`).toBeGreaterThan(12);
      expect(row.httpBytes + row.p2pBytes, `${row.name} kept loading`).toBeGreaterThan(0);
    }
    // From the departure on, no remaining viewer stalled (also before the window began).
    const sinceDeparture = windowOf(before, after);
    for (const row of sinceDeparture.rows) {
      expect(row.stalls, `${row.name} stalls since the departure`).toBe(0);
    }
  });
});
