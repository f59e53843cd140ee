import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchChromium,
  openViewer,
  readCoral,
  type Viewer,
  startStack,
  uploadClip,
  type Stack,
} from '@coral-cdn/test-support';
import { verifiedVodEntries } from './support/integrity.js';
import { explain, waitForViewer } from './support/watch.js';

/**
 * Issue 6's end-to-end check: the whole stack as real processes (origin packaging a clip that
 * ffmpeg really encoded, an edge, the tracker, the player's server) and two viewers in real
 * headless Chromium, all inside a private loopback-only network namespace (`coral-netns`).
 * The first viewer plays from the CDN; the second joins later and must get segments from the
 * first over a WebRTC data channel, verified against the origin's signed hashes, and play
 * without a stall.
 */
const STREAM_ID = 'e2e-vod';

let stack: Stack;
let browser: Browser;
const viewers: Viewer[] = [];

beforeAll(async () => {
  stack = await startStack();
  await uploadClip(stack.origin, stack.dataDir.path, STREAM_ID, {
    durationSec: 30,
    width: 426,
    height: 240,
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const why = () => explain(viewers, stack);

describe('two viewers of one VOD stream in real Chromium', () => {
  it('the later viewer plays verified segments from the first, and neither stalls', async () => {
    const url = `${stack.player.url}/?id=${STREAM_ID}&p2p=1`;
    const first = await openViewer(browser, url);
    viewers.push(first);
    // The first viewer holds what it has played and buffered: let it get some way in.
    await waitForViewer(
      first,
      'the first viewer playing 8 s in',
      (s) => s.stats?.trackerConnected === true && s.playback.positionSec >= 8,
      { timeoutMs: 60_000, explain: why },
    );

    const second = await openViewer(browser, url);
    viewers.push(second);
    const later = await waitForViewer(
      second,
      'the second viewer playing 10 s in, with segments from a peer',
      (s) => s.playback.positionSec >= 10 && s.segments.some((seg) => seg.source !== 'http'),
      { timeoutMs: 90_000, explain: why },
    );
    const earlier = await readCoral(first.page);
    const laterStats = later.stats!;
    const earlierStats = earlier.stats!;
    console.log(
      `second viewer: ${laterStats.p2pBytes} B from peers, ${laterStats.httpBytes} B from the CDN ` +
        `(offload ${(laterStats.offloadRatio * 100).toFixed(1)}%), segments ` +
        `${later.segments.map((seg) => `${seg.sequence}:${seg.source}`).join(' ')}; ` +
        `first viewer uploaded ${earlierStats.uploadedBytes} B; startup ${laterStats.startupMs} ms`,
    );

    // The second viewer received peer bytes: from the first (the only other peer).
    expect(laterStats.p2pEnabled).toBe(true);
    expect(laterStats.p2pBytes).toBeGreaterThan(0);
    expect(laterStats.segmentsFromP2p + laterStats.segmentsMixed).toBeGreaterThan(0);
    expect(earlierStats.uploadedBytes).toBeGreaterThanOrEqual(laterStats.p2pBytes);

    // Verified: no integrity failure, nothing discarded, and what hls.js got from peers is
    // exactly what the origin signed (checked here, in Node, against the origin's key).
    expect(laterStats.integrityFailures).toBe(0);
    expect(laterStats.p2pDiscardedBytes).toBe(0);
    const fromPeers = later.segments.filter((seg) => seg.source !== 'http');
    const signed = await verifiedVodEntries(stack.origin.url, STREAM_ID, fromPeers[0]!.rendition);
    for (const segment of fromPeers) {
      const entry = signed.get(segment.sequence);
      expect(entry, `segment ${segment.sequence} is in the signed manifest`).toBeDefined();
      expect(segment.sha256).toBe(entry!.sha256);
      expect(segment.sizeBytes).toBe(entry!.sizeBytes);
    }
    // p2pBytes counts verified peer bytes only: at least every whole peer-delivered segment.
    const wholeFromPeers = fromPeers
      .filter((seg) => seg.source === 'p2p')
      .reduce((sum, seg) => sum + seg.sizeBytes, 0);
    expect(laterStats.p2pBytes).toBeGreaterThanOrEqual(wholeFromPeers);

    // Playback advanced with no stall, for both.
    expect(later.playback.positionSec).toBeGreaterThanOrEqual(10);
    expect(later.playback.latencySec).toBeNull(); // VOD has no live edge
    for (const segment of later.segments) {
      expect(segment.latencySec).toBeNull();
      expect(segment.bufferedAheadSec).toBeGreaterThanOrEqual(0);
    }
    expect(earlier.playback.positionSec).toBeGreaterThan(later.playback.positionSec);
    expect(laterStats.stalls).toBe(0);
    expect(earlierStats.stalls).toBe(0);
    expect(laterStats.startupMs).not.toBeNull();
    // Chromium's getStats names the selected candidate pair: a direct one on loopback.
    const connectivity = laterStats as unknown as {
      peerConnections: { opened: Record<string, number> };
      p2pEligible: boolean;
    };
    const opened = connectivity.peerConnections.opened;
    expect(opened.host! + opened.prflx! + opened.srflx!).toBeGreaterThanOrEqual(1);
    expect(opened.relay! + opened.unknown!).toBe(0);
    expect(connectivity.p2pEligible).toBe(true);
  });

  it('with P2P off a viewer is plain hls.js (no tracker, no peers); switching it on resumes with the engine', async () => {
    const trackerStats = async () =>
      (await (await fetch(`${stack.tracker.url}/stats`)).json()) as { connections: number };
    const connectionsBefore = (await trackerStats()).connections;
    const viewer = await openViewer(browser, `${stack.player.url}/?id=${STREAM_ID}&p2p=0`);
    viewers.push(viewer);
    const snapshot = await waitForViewer(
      viewer,
      'the P2P-off viewer playing 4 s in',
      (s) => s.playback.positionSec >= 4,
      { timeoutMs: 60_000, explain: why },
    );
    const stats = snapshot.stats!;
    expect(snapshot.p2pEnabled).toBe(false);
    expect(stats.p2pEnabled).toBe(false);
    expect(stats.trackerConnected).toBe(false);
    expect(stats.peers).toBe(0);
    expect(stats.p2pBytes).toBe(0);
    expect(stats.uploadedBytes).toBe(0);
    // Every segment came through hls.js's own loader (no engine deliveries), from the CDN.
    expect(snapshot.segments).toEqual([]);
    expect(stats.httpBytes).toBeGreaterThan(0);
    expect(stats.stalls).toBe(0);
    expect((await trackerStats()).connections).toBe(connectionsBefore);

    // The switch: P2P on resumes where playback was, now with the engine, and is remembered.
    const positionAtSwitch = snapshot.playback.positionSec;
    await viewer.page.evaluate(() =>
      (window as unknown as { coral: { setP2p(on: boolean): Promise<void> } }).coral.setP2p(true),
    );
    const switched = await waitForViewer(
      viewer,
      'the viewer playing again with P2P on',
      (s) =>
        s.stats?.p2pEnabled === true &&
        s.stats.trackerConnected &&
        s.playback.state === 'playing' &&
        s.playback.positionSec > positionAtSwitch,
      { timeoutMs: 30_000, explain: why },
    );
    expect(switched.p2pEnabled).toBe(true);
    expect(switched.stats!.stalls).toBe(0);
    expect(await viewer.page.evaluate(() => localStorage.getItem('coral.p2p'))).toBe('1');
    expect((await trackerStats()).connections).toBe(connectionsBefore + 1);
  });
});
