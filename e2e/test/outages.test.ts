import type { NodePeer } from '@coral-cdn/node-peer';
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
import { describeNodePeer, startNodePeer } from './support/node-peers.js';
import { edgeCounters, swarmPeers } from './support/services.js';
import {
  browserMember,
  formatFigures,
  nodePeerMember,
  sample,
  startLiveChannel,
  totals,
  windowOf,
  type Member,
  type Sample,
} from './support/swarm.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { explain } from './support/watch.js';

/**
 * Services dying under a live swarm of two Chromium pages and two werift peers (one stack for
 * both tests, in order):
 * - the tracker SIGKILLed: playback goes on from the CDN without a stall; restarted on its
 *   port, every viewer rejoins by itself and peer bytes flow again;
 * - the origin off the network (the edge reaches it through a relay that is cut; the origin
 *   and its live encoder keep running): the edge answers the live playlists from its expired
 *   copies (`X-Cache: STALE`, stale-if-error) instead of errors, and no viewer stalls.
 */
const CHANNEL_ID = 'e2e-outage';
const RENDITION = '240p';
const SWARM_ID = `${CHANNEL_ID}/${RENDITION}`;
const VIEWERS = 4;

let stack: Stack;
let browser: Browser;
let originRelay: TcpProxy;
const viewers: Viewer[] = [];
const nodePeers: NodePeer[] = [];
const members: Member[] = [];
/** Taken once the swarm plays: stalls are counted from here to the end of the file. */
let settled: Sample;

const why = async () =>
  `${nodePeers.map((peer, i) => describeNodePeer(`node${i + 1}`, peer)).join('\n')}\n` +
  (await explain(viewers, stack));

beforeAll(async () => {
  originRelay = await TcpProxy.start();
  stack = await startStack({
    originEnv: { LIVE_TESTSRC_SIZE: '426x240', LIVE_TESTSRC_FPS: '24' },
    edgeEnv: {
      ORIGIN_URL: originRelay.url,
      // STALE only from stale-if-error (no stale-while-revalidate), within 60 s of expiry.
      STALE_WHILE_REVALIDATE_SEC: '0',
      STALE_IF_ERROR_SEC: '60',
      // One worker: /stats is per worker, and the counters compared before and during the
      // outage must be the same cache's (each worker keeps its own copies).
      EDGE_WORKERS: '1',
    },
  });
  originRelay.targetPort = stack.origin.port;
  await startLiveChannel(stack, CHANNEL_ID, RENDITION);
  browser = await launchChromium();

  const url = `${stack.player.url}/?id=${CHANNEL_ID}&p2p=1`;
  for (let i = 0; i < 2; i++) {
    const viewer = await openViewer(browser, url);
    viewers.push(viewer);
    members.push(browserMember(`page${i + 1}`, viewer));
    const peer = await startNodePeer(stack, CHANNEL_ID);
    nodePeers.push(peer);
    members.push(nodePeerMember(`node${i + 1}`, peer));
    await sleep(1_000);
  }
  await waitFor(
    `all ${VIEWERS} viewers playing with peers, in the tracker's swarm`,
    async () => {
      const rows = (await sample(members)).rows;
      const ready = rows.filter((row) => row.startupMs !== null && row.peers >= 1).length;
      return ready === VIEWERS && (await swarmPeers(stack.tracker, SWARM_ID)) === VIEWERS;
    },
    { timeoutMs: 45_000, intervalMs: 500 },
  ).catch(async (error: unknown) => {
    throw new Error(`${String(error)}\n${await why()}`);
  });
  // Past start-up, when the first segments all come from the CDN.
  await sleep(5_000);
  settled = await sample(members);
});

afterAll(async () => {
  for (const peer of nodePeers) peer.destroy();
  await browser?.close();
  await stack?.stop();
  await originRelay?.down();
});

function expectNoStall(rows: Sample['rows'], report: string): void {
  for (const row of rows) expect(row.stalls, `${row.name} stalls\n${report}`).toBe(0);
}

describe('a live swarm while services die', () => {
  it('plays on from the CDN while the tracker is dead, and rejoins and shares when it is back', async () => {
    await stack.tracker.kill();
    await waitFor(
      'every viewer sees the tracker gone',
      async () => (await sample(members)).rows.every((row) => !row.trackerConnected),
      { timeoutMs: 10_000, intervalMs: 250 },
    );
    const outageStart = await sample(members);
    await sleep(10_000);
    const outageEnd = await sample(members);
    const outage = windowOf(outageStart, outageEnd);
    const outageReport = formatFigures(`tracker dead (${outage.atMs} ms)`, outage.rows);
    console.log(outageReport);
    expectNoStall(outage.rows, outageReport);
    for (const row of outage.rows) {
      expect(row.trackerConnected, row.name).toBe(false);
      expect(row.playedSec, `${row.name} played\n${outageReport}`).toBeGreaterThan(8);
    }
    // New live segments kept arriving: from the CDN, at least (peers already connected may
    // still trade, but nothing depends on it).
    expect(totals(outage.rows).httpBytes).toBeGreaterThan(0);

    // Back on the same port: the viewers' back-off (1 s doubling, jittered) brings them back.
    await stack.restart('tracker');
    await waitFor(
      `all ${VIEWERS} viewers rejoined the swarm`,
      async () =>
        (await sample(members)).rows.every((row) => row.trackerConnected) &&
        (await swarmPeers(stack.tracker, SWARM_ID)) === VIEWERS,
      { timeoutMs: 40_000, intervalMs: 500 },
    ).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await why()}`);
    });
    const rejoined = await sample(members);
    await sleep(12_000);
    const after = windowOf(rejoined, await sample(members));
    const afterReport = formatFigures(`tracker back (${after.atMs} ms)`, after.rows);
    console.log(afterReport);
    expectNoStall(after.rows, afterReport);
    // Peers share again: the swarm takes bytes from peers, and every viewer still plays.
    expect(totals(after.rows).p2pBytes, afterReport).toBeGreaterThan(0);
    for (const row of after.rows) {
      expect(row.playedSec, `${row.name} played\n${afterReport}`).toBeGreaterThan(9);
    }
    const whole = windowOf(settled, await sample(members));
    expectNoStall(whole.rows, formatFigures('whole test', whole.rows));
  });

  it('the edge serves stale live playlists while the origin is unreachable, and nobody stalls', async () => {
    const playlistUrl = `${stack.edge.url}/live/${CHANNEL_ID}/${RENDITION}/index.m3u8`;
    const mediaSequence = async () => {
      const response = await fetch(playlistUrl);
      const text = await response.text();
      return {
        status: response.status,
        cache: response.headers.get('x-cache'),
        sequence: Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? -1),
        text,
      };
    };
    // Cut the origin right after a new segment was published: the viewers then hold the
    // most media they can (~3 segments behind the live edge).
    const first = (await mediaSequence()).sequence;
    await waitFor(
      'a new live segment on the edge',
      async () => (await mediaSequence()).sequence > first,
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    const countersBefore = await edgeCounters(stack.edge);
    const before = await sample(members);
    await originRelay.down();
    const frozen = await mediaSequence();
    // The outage: 4 s, about two segment durations. The edge can hide an origin outage only as
    // long as the viewers' live buffer (3 segments, ~6 s) lasts; this one it must hide.
    const answers: Array<{ status: number; cache: string | null; sequence: number }> = [];
    const downSinceMs = Date.now();
    while (Date.now() - downSinceMs < 4_000) {
      const { status, cache, sequence } = await mediaSequence();
      answers.push({ status, cache, sequence });
      await sleep(250);
    }
    const countersDown = await edgeCounters(stack.edge);
    await originRelay.up();
    console.log(
      `origin unreachable 4 s: edge answered ${answers.map((a) => `${a.status}/${a.cache}`).join(' ')}; ` +
        `counters ${JSON.stringify(countersBefore)} -> ${JSON.stringify(countersDown)}`,
    );
    // Every answer was the old playlist, never an error; once expired (1 s max-age), STALE.
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(['HIT', 'STALE']).toContain(answer.cache);
      expect(answer.sequence).toBe(frozen.sequence);
    }
    // Once the copy expired, every later answer is STALE: the edge never re-freshens a copy it
    // could not revalidate (how many answers fit in 4 s depends on the machine's load).
    const firstStale = answers.findIndex((a) => a.cache === 'STALE');
    expect(firstStale).toBeGreaterThanOrEqual(0);
    expect(answers.slice(firstStale).every((a) => a.cache === 'STALE')).toBe(true);
    expect(answers.length - firstStale).toBeGreaterThanOrEqual(2);
    expect(countersDown.stale).toBeGreaterThan(countersBefore.stale);
    expect(countersDown.originFailures).toBeGreaterThan(countersBefore.originFailures);
    expect(countersDown.gatewayErrors).toBe(countersBefore.gatewayErrors);

    // The origin is back: the playlist moves on (the encoder never stopped), viewers follow.
    await waitFor(
      'the live playlist moving on',
      async () => (await mediaSequence()).sequence > frozen.sequence,
      { timeoutMs: 10_000, intervalMs: 250 },
    );
    await sleep(8_000);
    const window = windowOf(before, await sample(members));
    const report = formatFigures(`origin outage and after (${window.atMs} ms)`, window.rows);
    console.log(report);
    expectNoStall(window.rows, report);
    for (const row of window.rows) {
      expect(row.playedSec, `${row.name} played\n${report}`).toBeGreaterThan(
        (window.atMs / 1000) * 0.8,
      );
      expect(row.httpBytes + row.p2pBytes, `${row.name} kept loading`).toBeGreaterThan(0);
    }
    const whole = windowOf(settled, await sample(members));
    const wholeReport = formatFigures('whole file, since the swarm settled', whole.rows);
    console.log(wholeReport);
    expectNoStall(whole.rows, wholeReport);
    // Never a bad byte through all of it.
    for (const row of whole.rows) expect(row.integrityFailures, row.name).toBe(0);
  });
});
