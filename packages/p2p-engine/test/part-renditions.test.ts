import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from './harness/fake-clock.js';
import { loadParts, showLlPlaylist } from './harness/ll-viewers.js';
import { LivePartsFixture } from './harness/part-fixture.js';
import { LiveFixture } from './harness/stream-fixture.js';
import { SimSwarm } from './harness/swarm.js';

let swarm: SimSwarm | null = null;
afterEach(() => {
  swarm?.destroy();
  swarm = null;
});

/**
 * Two renditions of one LL channel, cut at the same keyframes (the same sequence numbers, as
 * the origin's one encoder makes them): a fetcher and a waiter play 480p as parts; a third
 * viewer plays 240p as parts, then switches to 480p (hls.js's ABR moving up).
 */
async function switchingViewer() {
  const clock = new FakeClock();
  const low = new LiveFixture('live', '240p', 40_000);
  const high = new LiveFixture('live', '480p', 80_000);
  for (let i = 0; i < 3; i++) for (const live of [low, high]) await live.publish();
  const lowParts = new LivePartsFixture(low, 4, 10_000);
  const highParts = new LivePartsFixture(high, 4, 20_000);
  const content = (url: string) =>
    url.includes('/480p/') ? highParts.content(url) : lowParts.content(url);
  swarm = new SimSwarm(clock, content, 'live');
  const fetcher = swarm.addViewer();
  const waiter = swarm.addViewer();
  const switcher = swarm.addViewer();
  for (const viewer of [fetcher, waiter]) {
    showLlPlaylist(viewer, high);
    viewer.engine.reportStartup(0);
  }
  showLlPlaylist(switcher, low);
  switcher.engine.reportStartup(0);
  await clock.advanceUntil(
    () => [fetcher, waiter, switcher].every((viewer) => viewer.engine.peerId !== null),
    5_000,
  );
  swarm.tracker.electionFetchers = (swarmId) =>
    swarmId.endsWith('/480p') ? [fetcher.engine.peerId!] : [switcher.engine.peerId!];
  await clock.advanceUntil(
    () => fetcher.engine.stats.peers === 1 && waiter.engine.stats.peers === 1,
    10_000,
  );
  const highViewers = [fetcher, waiter];
  // Segment 3 as parts in both renditions; the origin completes it and starts segment 4.
  await loadParts(clock, highViewers, highParts, await highParts.addParts(3));
  await loadParts(clock, [switcher], lowParts, await lowParts.addParts(3));
  await lowParts.completeSegment();
  await highParts.completeSegment();
  for (const viewer of highViewers) showLlPlaylist(viewer, high);
  showLlPlaylist(switcher, low);
  const next = await highParts.addParts(4);
  await lowParts.addParts(4);
  await loadParts(clock, highViewers, highParts, next.slice(0, 1));
  // The 480p viewers hold segment 3 whole, made of its parts.
  await clock.advanceUntil(
    () => highViewers.every((viewer) => viewer.engine.stats.parts.segmentsAssembled === 1),
    5_000,
  );
  return { clock, high, highParts, fetcher, waiter, switcher, next };
}

describe('a viewer playing parts that switches rendition', () => {
  it('fetches no whole segment of the new rendition before its first part there', async () => {
    const { clock, high, highParts, fetcher, waiter, switcher, next } = await switchingViewer();
    // The switcher is the elected fetcher of the 480p segments to come.
    swarm!.tracker.electionFetchers = () => [switcher.engine.peerId!];
    const before = switcher.engine.stats;
    // ABR moves up: hls.js loads the 480p playlist...
    showLlPlaylist(switcher, high);
    await clock.advanceUntil(() => switcher.engine.stats.peers === 2, 10_000);
    // ... and, before its first 480p part is in, the origin completes segment 4 (the switcher
    // played it as 240p parts; the other two as 480p parts) and the playlist lists it.
    await loadParts(clock, [fetcher, waiter], highParts, next.slice(1));
    await highParts.completeSegment();
    await highParts.addParts(5);
    showLlPlaylist(switcher, high);
    await clock.advance(2_000);
    const after = switcher.engine.stats;
    // Nothing whole: the 480p viewers make segment 4 whole from their parts for the swarm.
    expect(after.httpBytes + after.p2pBytes).toBe(before.httpBytes + before.p2pBytes);
    expect(switcher.cdn.segmentRequests().filter((r) => r.url.includes('/480p/seg_'))).toEqual([]);
    expect(after.prefetchedBytes).toBe(0);
  });
});
