import { afterEach, describe, expect, it } from 'vitest';
import { partsVerdict } from '../src/part-segments.js';
import type { FakeClock } from './harness/fake-clock.js';
import { llChannel, loadParts, showLlPlaylist, startedLlViewer } from './harness/ll-viewers.js';
import type { LiveFixture, SegmentFixture } from './harness/stream-fixture.js';
import { requestSegment, settle, type SimSwarm, type Viewer } from './harness/swarm.js';

let swarm: SimSwarm | null = null;
afterEach(() => {
  swarm?.destroy();
  swarm = null;
});

/**
 * A fetcher and a waiter play segment 3 as parts (the waiter from the fetcher); the origin then
 * completes segment 3 and starts segment 4; the fetcher takes part 4.0 (and, beside it, the
 * manifest, which now signs segment 3 whole).
 */
async function playSegmentAsParts(options: { tamper?: boolean } = {}) {
  const channel = await llChannel();
  const { clock, live, parts } = channel;
  swarm = channel.swarm;
  const fetcher = await startedLlViewer(clock, swarm, live);
  swarm.tracker.electionFetchers = () => [fetcher.engine.peerId!];
  const waiter = swarm.addViewer();
  showLlPlaylist(waiter, live);
  waiter.engine.reportStartup(0);
  await clock.advanceUntil(
    () => fetcher.engine.stats.peers === 1 && waiter.engine.stats.peers === 1,
    10_000,
  );
  const viewers = [fetcher, waiter];
  await loadParts(clock, viewers, parts, await parts.addParts(3));
  const segment = await parts.completeSegment(options);
  for (const viewer of viewers) showLlPlaylist(viewer, live);
  await loadParts(clock, viewers, parts, (await parts.addParts(4)).slice(0, 1));
  return { clock, live, parts, swarm, fetcher, waiter, segment };
}

/** A viewer that joins now: the live window is old news to it (it waits for peers). */
async function lateJoiner(clock: FakeClock, live: LiveFixture, others: number): Promise<Viewer> {
  const viewer = swarm!.addViewer();
  showLlPlaylist(viewer, live);
  viewer.engine.reportStartup(0);
  await clock.advanceUntil(() => viewer.engine.stats.peers === others, 10_000);
  return viewer;
}

function cdnRequestsFor(viewers: readonly Viewer[], segment: SegmentFixture): number {
  return viewers.reduce(
    (sum, viewer) => sum + viewer.cdn.requests.filter((r) => r.url === segment.url).length,
    0,
  );
}

describe('whole segments from LL parts', () => {
  it('viewers that played a segment as parts offer it whole; a late joiner takes it from them', async () => {
    const { clock, live, swarm, fetcher, waiter, segment } = await playSegmentAsParts();
    await clock.advanceUntil(
      () =>
        fetcher.engine.stats.parts.segmentsAssembled === 1 &&
        waiter.engine.stats.parts.segmentsAssembled === 1,
      5_000,
    );
    expect(fetcher.engine.stats.storedSegments).toBe(1);
    // The waiter had the whole segment's entry from the fetcher's announcement of it: its one
    // manifest fetch is the one every viewer makes at its first frame.
    expect(waiter.cdn.requests.filter((r) => r.url.includes('integrity.json'))).toHaveLength(1);

    const late = await lateJoiner(clock, live, 2);
    // Two segments behind: a peer has time to deliver it.
    late.engine.setPlayback({ positionSec: segment.startSec - 4, rate: 1 });
    const result = await settle(clock, requestSegment(late, live, segment).promise);
    expect(result.source).toBe('p2p');
    expect(result.bytes).toEqual(segment.bytes);
    expect(cdnRequestsFor(swarm.viewers, segment)).toBe(0);
    expect(late.engine.stats.integrityFailures).toBe(0);
    expect(late.engine.stats.p2pBytes).toBe(segment.bytes.byteLength);
  });

  it('parts that do not make the signed segment are caught and never offered', async () => {
    const { clock, live, swarm, fetcher, waiter, segment } = await playSegmentAsParts({
      tamper: true,
    });
    await clock.advanceUntil(() => fetcher.engine.stats.parts.assemblyFailures === 1, 5_000);
    expect(fetcher.engine.stats.parts.segmentsAssembled).toBe(0);
    expect(fetcher.engine.stats.storedSegments).toBe(0);
    // Nobody announced it, so the waiter never learnt the segment's entry from a peer.
    expect(waiter.engine.stats.parts.segmentsAssembled).toBe(0);

    const late = await lateJoiner(clock, live, 2);
    // Two segments behind: a peer has time to deliver it.
    late.engine.setPlayback({ positionSec: segment.startSec - 4, rate: 1 });
    const result = await settle(clock, requestSegment(late, live, segment).promise);
    expect(result.source).toBe('http');
    expect(result.bytes).toEqual(segment.bytes);
    // No honest viewer served bad bytes, so nobody was dropped or reported.
    expect(late.engine.stats.integrityFailures).toBe(0);
    expect(swarm.tracker.reports).toEqual([]);
  });
});

describe('one copy of the media for a viewer playing parts', () => {
  it('takes no whole segment, from the CDN or peers, of a segment it plays as parts', async () => {
    const { clock, live, parts, fetcher, waiter } = await playSegmentAsParts();
    const viewers = [fetcher, waiter];
    // The rest of segment 4 as parts; the origin completes it and starts segment 5.
    await loadParts(clock, viewers, parts, parts.parts.filter((p) => p.sequence === 4).slice(1));
    const segment4 = await parts.completeSegment();
    for (const viewer of viewers) showLlPlaylist(viewer, live);
    await loadParts(clock, viewers, parts, (await parts.addParts(5)).slice(0, 1));
    // Segments 3 and 4 are held whole by both (made from parts, or fetched whole).
    await clock.advanceUntil(
      () => viewers.every((viewer) => viewer.engine.stats.storedSegments === 2),
      5_000,
    );
    const partBytes = parts.parts
      .filter((p) => p.sequence < 5 || p.part === 0)
      .reduce((sum, p) => sum + p.bytes.byteLength, 0);
    for (const viewer of viewers) {
      const { httpBytes, p2pBytes, parts: partStats } = viewer.engine.stats;
      // Every media byte it downloaded is a part it played: one copy of the stream.
      expect(httpBytes + p2pBytes).toBe(partBytes);
      expect(partStats.httpBytes + partStats.p2pBytes).toBe(partBytes);
      expect(viewer.cdn.segmentRequests().filter((r) => !r.url.includes('/part_'))).toEqual([]);
      expect(viewer.engine.stats.segmentsFromP2p).toBe(0);
      expect(viewer.engine.stats.parts.segmentsAssembled).toBe(2);
      // Nor, once it plays parts, does it poll the playlist for segments to fetch whole.
      const firstPartAtMs = viewer.cdn.requests.find((r) => r.url.includes('/part_'))?.atMs;
      const pollsAfter = viewer.cdn.requests.filter(
        (r) => r.url.includes('.m3u8') && r.atMs > (firstPartAtMs ?? Infinity),
      );
      expect(pollsAfter).toEqual([]);
    }
    expect(segment4.bytes.byteLength).toBe(4 * parts.partBytes);
  });
});

describe('partsVerdict', () => {
  const parts = (sizes: number[], first = 0) =>
    sizes.map((sizeBytes, index) => ({ part: first + index, sizeBytes }));

  it('is complete only when parts 0..k add up to the signed size', () => {
    expect(partsVerdict(parts([10, 20, 30]), 60)).toBe('complete');
    expect(partsVerdict(parts([10, 20]), 60)).toBe('incomplete');
    expect(partsVerdict([], 60)).toBe('incomplete');
  });

  it('waits while a part in the middle or at the start is missing', () => {
    expect(partsVerdict([...parts([10]), ...parts([30], 2)], 40)).toBe('incomplete');
    expect(partsVerdict(parts([20, 40], 1), 60)).toBe('incomplete');
  });

  it('is oversize when the parts add up to more than the segment', () => {
    expect(partsVerdict(parts([10, 20, 31]), 60)).toBe('oversize');
  });
});

describe('manifest fetches of a viewer playing parts', () => {
  it('fetches no whole manifest when a segment it played as parts is listed', async () => {
    const channel = await llChannel();
    const { clock, live, parts } = channel;
    swarm = channel.swarm;
    // Alone in its swarm: a segment's signed entry is fetched for it, not sent by a peer.
    const viewer = await startedLlViewer(clock, swarm, live);
    await loadParts(clock, [viewer], parts, await parts.addParts(3));
    const plainFetches = () =>
      viewer.cdn.requests.filter((r) => r.url.endsWith('/integrity.json')).length;
    const before = plainFetches();
    await parts.completeSegment();
    showLlPlaylist(viewer, live);
    await clock.advance(2_000);
    expect(plainFetches()).toBe(before);
  });
});

describe('parts loaded at start-up', () => {
  it('are held: the segment they begin is made whole and offered too', async () => {
    const channel = await llChannel();
    const { clock, live, parts } = channel;
    swarm = channel.swarm;
    const fetcher = await startedLlViewer(clock, swarm, live);
    swarm.tracker.electionFetchers = () => [fetcher.engine.peerId!];
    const segmentParts = await parts.addParts(3);
    await loadParts(clock, [fetcher], parts, segmentParts.slice(0, 2));
    // A viewer starts in segment 3: its first two parts before its first frame, from the CDN
    // (no peer yet, no entry of their own), the rest from the fetcher once it plays.
    const joiner = swarm.addViewer();
    showLlPlaylist(joiner, live);
    for (const part of segmentParts.slice(0, 2))
      await settle(clock, joiner.engine.loadPart(parts.request(part)).promise);
    expect(joiner.engine.stats.parts).toMatchObject({ fromHttp: 2, fromP2p: 0 });
    joiner.engine.reportStartup(500);
    await clock.advanceUntil(() => joiner.engine.stats.peers === 1, 10_000);
    await loadParts(clock, [fetcher, joiner], parts, segmentParts.slice(2));
    expect(joiner.engine.stats.parts).toMatchObject({ fromHttp: 2, fromP2p: 2 });
    // The origin completes segment 3; the fetcher's next part brings its entry.
    await parts.completeSegment();
    for (const viewer of [fetcher, joiner]) showLlPlaylist(viewer, live);
    await loadParts(clock, [fetcher, joiner], parts, (await parts.addParts(4)).slice(0, 1));
    await clock.advanceUntil(() => joiner.engine.stats.parts.segmentsAssembled === 1, 5_000);
    expect(joiner.engine.stats.storedSegments).toBe(1);
    expect(joiner.engine.stats.parts.assemblyFailures).toBe(0);
  });
});
