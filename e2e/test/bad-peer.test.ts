import type { NodePeer } from '@coral-cdn/node-peer';
import {
  launchChromium,
  openViewer,
  readCoral,
  startStack,
  uploadClip,
  waitFor,
  type Stack,
  type Viewer,
} from '@coral-cdn/test-support';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifiedVodEntries } from './support/integrity.js';
import { describeNodePeer, startNodePeer } from './support/node-peers.js';
import { metrics, metricValue, swarmPeers } from './support/services.js';
import { browserMember, formatFigures, sample, totals } from './support/swarm.js';
import { explain, waitForViewer } from './support/watch.js';

/**
 * A werift peer in node-peer's `corrupt` mode seeds a VOD clip and flips every payload byte it
 * uploads (handshake, have lists and frame headers stay right, so it looks like a good peer
 * until the bytes are checked). Two Chromium viewers join; it is the only holder at first, so
 * they ask it. Every segment it serves must fail verification, be thrown away, be fetched
 * again over HTTP, and the peer be dropped and reported; the tracker bans it; hls.js never
 * gets a byte that differs from the origin's signed hashes, and nobody stalls.
 */
const STREAM_ID = 'e2e-bad-peer';
const SWARM_ID = `${STREAM_ID}/240p`;
const CLIP_SEC = 20;

let stack: Stack;
let browser: Browser;
let corrupt: NodePeer;
const viewers: Viewer[] = [];

const why = async () => `${describeNodePeer('corrupt', corrupt)}\n${await explain(viewers, stack)}`;

beforeAll(async () => {
  // One report bans, from a viewer seconds old (the defaults need two address groups and a
  // minute in the swarm; every page here shares one address): the ban is then certain whichever
  // viewer meets the bad peer first. The rules themselves are the tracker's own tests' business.
  stack = await startStack({
    trackerEnv: { REPORT_BAN_THRESHOLD: '1', REPORT_MIN_TENURE_MS: '0' },
  });
  await uploadClip(stack.origin, stack.dataDir.path, STREAM_ID, {
    durationSec: CLIP_SEC,
    width: 426,
    height: 240,
  });
  browser = await launchChromium();
});

afterAll(async () => {
  corrupt?.destroy();
  await browser?.close();
  await stack?.stop();
});

describe('a peer that serves corrupted bytes', () => {
  it('is caught on every segment it serves, dropped and banned; playback is unaffected', async () => {
    const signed = await verifiedVodEntries(stack.origin.url, STREAM_ID, '240p');
    corrupt = await startNodePeer(stack, STREAM_ID, { mode: 'corrupt' });
    await waitFor(
      `the corrupt seeder holding all ${signed.size} segments, joined to the tracker`,
      () =>
        (corrupt.stats().engine?.storedSegments ?? 0) >= signed.size &&
        corrupt.stats().peerId !== null,
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const corruptId = corrupt.stats().peerId!;

    const url = `${stack.player.url}/?id=${STREAM_ID}&p2p=1`;
    viewers.push(await openViewer(browser, url), await openViewer(browser, url));
    await Promise.all(
      viewers.map((viewer, index) =>
        waitForViewer(
          viewer,
          // Near the end: hls.js has then been handed every segment.
          `viewer ${index + 1} playing ${CLIP_SEC - 3} s in`,
          (s) => s.playback.positionSec >= CLIP_SEC - 3,
          { timeoutMs: 60_000, explain: why },
        ),
      ),
    );
    // The tracker banned it (out of the swarm, and counted) and every page dropped it: it is
    // left with no connection at all.
    await waitFor(
      'the tracker banning the corrupt peer, and no page connected to it',
      async () =>
        metricValue(await metrics(stack.tracker), 'coral_tracker_bans_total') === 1 &&
        (await swarmPeers(stack.tracker, SWARM_ID)) === viewers.length &&
        corrupt.stats().engine?.peers === 0,
      { timeoutMs: 10_000, intervalMs: 250 },
    ).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await why()}`);
    });

    const snapshots = await Promise.all(viewers.map((viewer) => readCoral(viewer.page)));
    const rows = (
      await sample(viewers.map((viewer, index) => browserMember(`page${index + 1}`, viewer)))
    ).rows;
    const flipped = corrupt.stats().corrupted!;
    const corruptUploaded = corrupt.stats().engine!.uploadedBytes;
    const caught = snapshots.map((s) =>
      s.logs.filter((line) => line.includes('peer sent bad bytes')),
    );
    console.log(
      `${formatFigures('viewers', rows)}\ncorrupt peer ${corruptId}: uploaded ${corruptUploaded} B, ` +
        `flipped ${flipped.bytes} B in ${flipped.frames} frames; caught:\n` +
        caught.map((lines, i) => `page${i + 1}: ${lines.join('\n  ')}`).join('\n'),
    );

    // It served, and every segment of it that arrived failed its hash and was thrown away:
    // the discarded bytes are flipped bytes (`flipped` counts what was handed to werift's send
    // buffer, up to 256 KiB of which never leaves when the receiver drops the connection).
    expect(flipped.bytes).toBeGreaterThan(0);
    const sum = totals(rows);
    const discarded = rows.reduce((all, row) => all + row.p2pDiscardedBytes, 0);
    const failures = rows.reduce((all, row) => all + row.integrityFailures, 0);
    console.log(
      `discarded ${discarded} B of ${flipped.bytes} B flipped; verified peer bytes ${sum.p2pBytes}`,
    );
    expect(failures).toBeGreaterThanOrEqual(1);
    expect(discarded).toBeGreaterThan(0);
    expect(discarded).toBeLessThanOrEqual(flipped.bytes);
    // None of its bytes was accepted: every verified peer byte is accounted for by the honest
    // viewers' uploads (a sender counts a byte before its receiver verifies it).
    expect(sum.p2pBytes).toBeLessThanOrEqual(sum.uploadedBytes);

    for (const [index, snapshot] of snapshots.entries()) {
      const stats = snapshot.stats!;
      const name = `viewer ${index + 1}`;
      // Each failure is one segment: thrown away, the peer dropped and reported.
      expect(caught[index]!.length, `${name} logged each failure`).toBe(stats.integrityFailures);
      // The player never saw a bad byte: every fragment hls.js got matches its signed entry,
      // whatever its source, and the segments that failed were fetched again over HTTP.
      expect(snapshot.segments.length, name).toBeGreaterThan(0);
      for (const segment of snapshot.segments) {
        const entry = signed.get(segment.sequence);
        expect(entry, `${name} segment ${segment.sequence} signed`).toBeDefined();
        expect(segment.sha256, `${name} segment ${segment.sequence}`).toBe(entry!.sha256);
      }
      for (const line of caught[index]!) {
        const sequence = Number(/"segment":"[^"]*\/(\d+)"/.exec(line)?.[1]);
        const delivered = snapshot.segments.filter((s) => s.sequence === sequence);
        expect(delivered.length, `${name} segment ${sequence} delivered`).toBeGreaterThan(0);
        for (const again of delivered)
          expect(again.source, `${name} segment ${sequence} refetched`).toBe('http');
      }
      // The corrupt peer is no longer among its peers.
      const peerDetails = (stats as { peerDetails?: Array<{ peerId: string }> }).peerDetails;
      expect(peerDetails, `${name} peerDetails`).toBeDefined();
      expect(
        peerDetails!.map((peer) => peer.peerId),
        `${name} dropped the corrupt peer`,
      ).not.toContain(corruptId);
      expect(stats.stalls, `${name} stalls`).toBe(0);
    }
  });
});
