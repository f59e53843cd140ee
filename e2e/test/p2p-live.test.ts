import {
  operatorHeaders,
  sleep,
  waitFor,
  launchChromium,
  openViewer,
  readCoral,
  type Viewer,
  startStack,
  type Stack,
} from '@coral-cdn/test-support';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveEntryCollector } from './support/integrity.js';
import { explain, waitForViewer } from './support/watch.js';

/**
 * A live channel (the origin encodes a test pattern with ffmpeg in real time, 240p) watched by
 * three viewers in real Chromium: the tracker elects who fetches each new segment from the
 * CDN; the others take it from peers when that beats the deadline. Peer bytes must match the
 * origin's per-segment signatures, and nobody may stall.
 */
const CHANNEL_ID = 'e2e-live';
const RENDITION = '240p';

let stack: Stack;
let browser: Browser;
let collector: LiveEntryCollector;
const viewers: Viewer[] = [];
const why = () => explain(viewers, stack);

beforeAll(async () => {
  stack = await startStack({ originEnv: { LIVE_TESTSRC_SIZE: '426x240', LIVE_TESTSRC_FPS: '24' } });
  const created = await fetch(`${stack.origin.url}/api/live`, {
    method: 'POST',
    headers: operatorHeaders({ 'content-type': 'application/json' }),
    body: JSON.stringify({ id: CHANNEL_ID, title: 'e2e live', source: { type: 'testsrc' } }),
  });
  if (created.status !== 201)
    throw new Error(`live channel: ${created.status} ${await created.text()}`);
  // hls.js starts 3 segments behind the live edge: wait until the window has a few.
  await waitFor(
    'the live playlist on the edge with 4 segments',
    async () => {
      const response = await fetch(`${stack.edge.url}/live/${CHANNEL_ID}/${RENDITION}/index.m3u8`);
      return response.ok && ((await response.text()).match(/#EXTINF/g)?.length ?? 0) >= 4;
    },
    { timeoutMs: 40_000, intervalMs: 500 },
  );
  collector = new LiveEntryCollector(stack.origin.url, CHANNEL_ID, RENDITION);
  await collector.start();
  browser = await launchChromium();
});

afterAll(async () => {
  collector?.stop();
  await browser?.close();
  await stack?.stop();
});

describe('three viewers of one live channel in real Chromium', () => {
  it('exchange verified live segments and play without a stall', async () => {
    const url = `${stack.player.url}/?id=${CHANNEL_ID}&p2p=1`;
    for (let i = 0; i < 3; i++) {
      viewers.push(await openViewer(browser, url));
      await sleep(1_500);
    }
    const started = await Promise.all(
      viewers.map((viewer, index) =>
        waitForViewer(
          viewer,
          `viewer ${index + 1} playing the live stream with a peer`,
          (s) => s.playback.state === 'playing' && (s.stats?.peers ?? 0) >= 1,
          { timeoutMs: 30_000, explain: why },
        ),
      ),
    );
    const playingSinceMs = Date.now();
    // Watch for a while: each new segment is fetched by an elected viewer, shared with the rest.
    await sleep(20_000);
    await collector.poll();
    const ended = await Promise.all(viewers.map((viewer) => readCoral(viewer.page)));

    const summary = ended.map((s, i) => ({
      viewer: i + 1,
      http: s.stats!.httpBytes,
      p2p: s.stats!.p2pBytes,
      uploaded: s.stats!.uploadedBytes,
      peers: s.stats!.peers,
      played: +(s.playback.positionSec - started[i]!.playback.positionSec).toFixed(1),
      segments: s.segments.map((seg) => `${seg.sequence}:${seg.source}`).join(' '),
    }));
    console.log(JSON.stringify(summary, null, 1));

    const totalP2p = ended.reduce((sum, s) => sum + s.stats!.p2pBytes, 0);
    const totalUploaded = ended.reduce((sum, s) => sum + s.stats!.uploadedBytes, 0);
    if (totalP2p === 0) throw new Error(`no viewer received peer bytes\n${await why()}`);
    expect(totalUploaded).toBeGreaterThanOrEqual(totalP2p);
    expect(collector.badSignatures).toBe(0);
    let checked = 0;
    for (const [index, snapshot] of ended.entries()) {
      const stats = snapshot.stats!;
      expect(stats.integrityFailures, `viewer ${index + 1}`).toBe(0);
      expect(stats.p2pDiscardedBytes, `viewer ${index + 1}`).toBe(0);
      expect(stats.stalls, `viewer ${index + 1} stalls`).toBe(0);
      // 20 s of wall time: the playhead moved on (live, at 1x).
      expect(summary[index]!.played, `viewer ${index + 1} played`).toBeGreaterThan(15);
      // Behind the live edge, within the playlist's window (the origin's default: 6 segments
      // of 2 s).
      expect(snapshot.playback.latencySec, `viewer ${index + 1} latency`).toBeGreaterThan(0);
      expect(snapshot.playback.latencySec, `viewer ${index + 1} latency`).toBeLessThan(12);
      // Each segment with CDN bytes says why the CDN was asked; a segment from peers names none.
      for (const segment of snapshot.segments) {
        const expected =
          segment.source === 'p2p'
            ? null
            : expect.stringMatching(/^(startup|alone|elected|deadline|unsigned|fallback)$/);
        expect(segment.cdnReason, `viewer ${index + 1} segment ${segment.sequence}`).toEqual(
          expected,
        );
      }
      // Each delivery is stamped on the shared wall clock; once playing, with the player's
      // margin and latency at that moment.
      for (const segment of snapshot.segments) {
        const label = `viewer ${index + 1} segment ${segment.sequence}`;
        expect(segment.deliveredAtMs, label).toBeLessThanOrEqual(Date.now());
        if (segment.deliveredAtMs < playingSinceMs) continue;
        expect(segment.bufferedAheadSec, label).toBeGreaterThanOrEqual(0);
        expect(segment.latencySec, label).toBeGreaterThan(0);
        expect(segment.latencySec, label).toBeLessThan(12);
      }
      expect(
        snapshot.segments.filter((seg) => seg.deliveredAtMs >= playingSinceMs).length,
        `viewer ${index + 1}: segments delivered while watched`,
      ).toBeGreaterThanOrEqual(5);
      for (const segment of snapshot.segments.filter((seg) => seg.source !== 'http')) {
        const entry = collector.entries.get(segment.sequence);
        if (!entry) continue; // left the window before the first poll
        expect(segment.sha256, `viewer ${index + 1} segment ${segment.sequence}`).toBe(
          entry.sha256,
        );
        checked++;
      }
    }
    // At least one peer-delivered segment was checked against its signed entry.
    expect(checked).toBeGreaterThan(0);
  });
});
