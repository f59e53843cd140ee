import type { NodePeer } from '@coral-cdn/node-peer';
import {
  launchChromium,
  readCoral,
  sleep,
  startStack,
  waitFor,
  type CoralSnapshot,
  type Stack,
  type Viewer,
} from '@coral-cdn/test-support';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNodePeer, startNodePeer } from './support/node-peers.js';
import { metrics, metricValue, swarmPeers } from './support/services.js';
import { startLiveChannel } from './support/swarm.js';
import { explain, openPlayingLiveViewers } from './support/watch.js';

/**
 * A werift peer in node-peer's `corrupt` mode follows an LL-HLS channel part by part (as hls.js
 * in low-latency mode does) and flips every payload byte it uploads. Two Chromium viewers join;
 * when the election makes it the fetcher of a segment's parts, they wait for it and ask it.
 * Each of its parts must fail its signed `coral-part/1` entry, come from the CDN instead, and
 * the peer be dropped and reported (the tracker bans it); the viewers keep playing close to
 * the live edge with no stall.
 */
const CHANNEL_ID = 'e2e-ll-bad-peer';
const RENDITION = '240p';
const SWARM_ID = `${CHANNEL_ID}/${RENDITION}`;
/** What LL is for (PART-HOLD-BACK is 1.6 s): the median latency stays under this. */
const MEDIAN_LATENCY_TARGET_SEC = 4;

let stack: Stack;
let browser: Browser;
let corrupt: NodePeer;
const viewers: Viewer[] = [];

const why = async () => `${describeNodePeer('corrupt', corrupt)}\n${await explain(viewers, stack)}`;

beforeAll(async () => {
  // One report bans, from a viewer seconds old (as in bad-peer.test.ts: every page here shares
  // one address, and the tracker's own tests cover its rules).
  stack = await startStack({
    originEnv: { LIVE_TESTSRC_SIZE: '426x240', LIVE_TESTSRC_FPS: '24', LADDER: '240:400k:64k' },
    trackerEnv: { REPORT_BAN_THRESHOLD: '1', REPORT_MIN_TENURE_MS: '0' },
  });
  await startLiveChannel(stack, CHANNEL_ID, RENDITION, 2, true);
  browser = await launchChromium();
});

afterAll(async () => {
  corrupt?.destroy();
  await browser?.close();
  await stack?.stop();
});

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const partFailures = (s: CoralSnapshot) => s.stats?.parts?.integrityFailures ?? 0;

describe('a peer that serves corrupted LL parts, in real Chromium', () => {
  it('is caught on its parts, dropped and banned; the viewers keep playing near the edge', async () => {
    corrupt = await startNodePeer(stack, CHANNEL_ID, { mode: 'corrupt', parts: true });
    await waitFor(
      'the corrupt peer following parts, joined to the tracker',
      () => (corrupt.stats().parts?.partsLoaded ?? 0) >= 4 && corrupt.stats().peerId !== null,
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const corruptId = corrupt.stats().peerId!;

    const url = `${stack.player.url}/?id=${CHANNEL_ID}&p2p=1`;
    await openPlayingLiveViewers(browser, url, 2, viewers, why);
    const atStart = await Promise.all(viewers.map((v) => readCoral(v.page)));
    // It fetches the parts of the segments it is elected for: a viewer asks it for one of them
    // within a few segments, catches the flipped bytes, drops it and reports it.
    await waitFor(
      'a viewer catching a corrupt part, the tracker banning the peer, no page connected to it',
      async () => {
        const snapshots = await Promise.all(viewers.map((v) => readCoral(v.page)));
        return (
          snapshots.some((s) => partFailures(s) > 0) &&
          metricValue(await metrics(stack.tracker), 'coral_tracker_bans_total') === 1 &&
          (await swarmPeers(stack.tracker, SWARM_ID)) === viewers.length &&
          corrupt.stats().engine?.peers === 0
        );
      },
      { timeoutMs: 40_000, intervalMs: 500 },
    ).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await why()}`);
    });

    // Then 10 s of playback: close to the edge, parts still coming, no stall.
    const latencies: number[][] = viewers.map(() => []);
    for (let second = 0; second < 10; second++) {
      await sleep(1_000);
      const snapshots = await Promise.all(viewers.map((v) => readCoral(v.page)));
      snapshots.forEach((s, i) => {
        if (s.playback.latencySec !== null) latencies[i]!.push(s.playback.latencySec);
      });
    }
    const ended = await Promise.all(viewers.map((v) => readCoral(v.page)));
    const flipped = corrupt.stats().corrupted!;
    const summary = ended.map((s, i) => ({
      viewer: i + 1,
      partIntegrityFailures: partFailures(s),
      integrityFailures: s.stats!.integrityFailures,
      partsFromHttp: (s.stats!.partsFromHttp ?? 0) - (atStart[i]!.stats!.partsFromHttp ?? 0),
      partsFromP2p: (s.stats!.partsFromP2p ?? 0) - (atStart[i]!.stats!.partsFromP2p ?? 0),
      stalls: s.stats!.stalls - atStart[i]!.stats!.stalls,
      latencyMedianSec: median(latencies[i]!),
      played: +(s.playback.positionSec - atStart[i]!.playback.positionSec).toFixed(1),
      peers: (s.stats as { peerDetails?: Array<{ peerId: string }> }).peerDetails?.map(
        (p) => p.peerId,
      ),
    }));
    console.log(
      `${JSON.stringify(summary)}\ncorrupt peer ${corruptId}: flipped ${flipped.bytes} B in ` +
        `${flipped.frames} frames; ${JSON.stringify(corrupt.stats().engine?.parts)}`,
    );

    expect(flipped.bytes, 'bytes the corrupt peer flipped').toBeGreaterThan(0);
    const failures = summary.reduce((sum, row) => sum + row.partIntegrityFailures, 0);
    expect(failures, 'corrupt parts caught').toBeGreaterThanOrEqual(1);
    expect(median(latencies.flat()), 'median latency, all viewers').toBeLessThan(
      MEDIAN_LATENCY_TARGET_SEC,
    );
    for (const row of summary) {
      const label = `viewer ${row.viewer}`;
      // A part that failed is a peer dropped: counted once each, as part failures.
      expect(row.integrityFailures, `${label} failures are part failures`).toBe(
        row.partIntegrityFailures,
      );
      expect(row.stalls, `${label} stalls`).toBe(0);
      expect(row.partsFromHttp + row.partsFromP2p, `${label} parts keep coming`).toBeGreaterThan(
        10,
      );
      expect(row.played, `${label} played`).toBeGreaterThan(8);
      expect(row.peers, `${label} dropped the corrupt peer`).not.toContain(corruptId);
    }
  });
});
