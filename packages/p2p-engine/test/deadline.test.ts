import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from './harness/fake-clock.js';
import { VodFixture } from './harness/stream-fixture.js';
import { requestSegment, seedAll, settle, showPlaylist, SimSwarm } from './harness/swarm.js';

let swarm: SimSwarm | null = null;
afterEach(() => {
  swarm?.destroy();
  swarm = null;
});

/** A seeder holding every segment, and a viewer connected to it (prefetch off unless asked). */
async function twoViewers(sizeBytes = 100_000, prefetch = false, seederMessageBytes = 64 * 1024) {
  const clock = new FakeClock();
  const fixture = await VodFixture.create({ count: 10, sizeBytes });
  swarm = new SimSwarm(clock, fixture.content, 'demo');
  const seeder = swarm.addViewer({ config: { maxMessageBytes: seederMessageBytes } });
  await seedAll(clock, seeder, fixture);
  const viewer = swarm.addViewer({ config: prefetch ? {} : { prefetchAheadSec: 0 } });
  showPlaylist(viewer, fixture);
  viewer.engine.setPlayback({ positionSec: 0, rate: 0 });
  await clock.advanceUntil(() => viewer.engine.stats.peers === 1, 5_000);
  // Let the seeder's bitfield arrive; then play from 0 (each test's deadlines count from here).
  await clock.advance(200);
  viewer.engine.setPlayback({ positionSec: 0, rate: 1 });
  return { clock, fixture, seeder, viewer, swarm };
}

describe('deadline-driven scheduling', () => {
  it('takes a segment from a peer that can deliver it before its deadline', async () => {
    const { clock, fixture, seeder, viewer } = await twoViewers();
    const segment = fixture.segments[3]!; // starts at 6 s: ~6 s to its deadline
    const result = await settle(clock, requestSegment(viewer, fixture, segment).promise);
    expect(result.source).toBe('p2p');
    expect(result.cdnReason).toBeNull();
    expect(result.bytes).toEqual(segment.bytes);
    expect(viewer.cdn.segmentRequests()).toHaveLength(0);
    expect(seeder.engine.stats.uploadedBytes).toBe(segment.bytes.byteLength);
    expect(result.timing.firstByteAtMs).toBeGreaterThan(result.timing.startedAtMs);
    expect(result.timing.endedAtMs).toBeGreaterThanOrEqual(result.timing.firstByteAtMs);
  });

  it('goes straight to HTTP when the deadline is inside the safety margin, even though a peer holds it', async () => {
    const { clock, fixture, seeder, viewer } = await twoViewers();
    const segment = fixture.segments[3]!;
    viewer.engine.setPlayback({ positionSec: segment.startSec - 1, rate: 1 }); // needed in 1 s < 1.5 s margin
    const result = await settle(clock, requestSegment(viewer, fixture, segment).promise);
    expect(result.source).toBe('http');
    expect(result.cdnReason).toBe('deadline');
    expect(result.bytes).toEqual(segment.bytes);
    expect(seeder.engine.stats.uploadedBytes).toBe(0);
    expect(viewer.cdn.segmentRequests().map((r) => r.url)).toEqual([segment.url]);
  });

  it('cancels a peer transfer that falls behind and resumes over HTTP with a Range from the bytes received', async () => {
    const { clock, fixture, seeder, viewer, swarm } = await twoViewers(600_000, false, 16 * 1024);
    swarm.network.setUplink(seeder.id, 100 * 1024); // 100 KiB/s: 600 kB would take ~6 s
    const segment = fixture.segments[2]!; // needed in 4 s, so it must arrive within 2.5 s
    const requestedAt = clock.now();
    const result = await settle(clock, requestSegment(viewer, fixture, segment).promise);
    expect(result.source).toBe('mixed');
    // The CDN finished what the peer could not: the reason the stats count for it.
    expect(result.cdnReason).toBe('fallback');
    expect(viewer.engine.stats.cdnReasons.fallback).toBe(1);
    expect(result.bytes).toEqual(segment.bytes);
    expect(result.timing.endedAtMs - requestedAt).toBeLessThan(4_000);
    const stats = viewer.engine.stats;
    expect(stats.fallbacks).toBe(1);
    expect(stats.segmentsMixed).toBe(1);
    const [resume, ...others] = viewer.cdn.segmentRequests();
    expect(others).toHaveLength(0);
    expect(resume!.url).toBe(segment.url);
    expect(resume!.rangeStartBytes).toBeGreaterThan(0);
    // Peer bytes + HTTP bytes add up to the segment exactly: nothing fetched twice.
    expect(stats.p2pBytes).toBe(resume!.rangeStartBytes);
    expect(stats.p2pBytes + resume!.sentBytes).toBe(segment.bytes.byteLength);
    // The CANCEL reached the seeder: it stops queueing the rest (what its channel already
    // buffered, at most the high-water mark, still drains).
    const queuedAtCancel = seeder.engine.stats.uploadedBytes;
    await clock.advance(10_000);
    expect(seeder.engine.stats.uploadedBytes).toBe(queuedAtCancel);
    expect(queuedAtCancel).toBeLessThan(segment.bytes.byteLength);
    expect(queuedAtCancel - stats.p2pBytes).toBeLessThanOrEqual(256 * 1024 + 4 * 16 * 1024);
  });

  it('hands the CDN the tail of a slow transfer at once and keeps the peer on the head', async () => {
    const { clock, fixture, seeder, viewer, swarm } = await twoViewers(300_000, false, 16 * 1024);
    swarm.network.setUplink(seeder.id, 50 * 1024); // 300 kB would take ~6 s
    const segment = fixture.segments[2]!; // needed in 4 s
    const load = requestSegment(viewer, fixture, segment);
    await clock.advanceUntil(() => viewer.cdn.segmentRequests().length === 1, 4_000);
    const peerBytesAtSplit = viewer.engine.stats.p2pBytes;
    const result = await settle(clock, load.promise);
    expect(result.bytes).toEqual(segment.bytes);
    expect(result.source).toBe('mixed');
    expect(result.cdnReason).toBe('fallback');
    const [tail, ...others] = viewer.cdn.segmentRequests();
    expect(others).toHaveLength(0);
    // The peer went on after the tail was asked for, up to where the tail starts.
    const stats = viewer.engine.stats;
    expect(stats.p2pBytes).toBeGreaterThan(peerBytesAtSplit + 16 * 1024);
    expect(tail!.rangeStartBytes).toBe(stats.p2pBytes);
    expect(tail!.rangeEndBytes).toBe(segment.bytes.byteLength);
    expect(stats.p2pBytes + tail!.sentBytes).toBe(segment.bytes.byteLength);
    expect(stats.fallbacks).toBe(1);
    expect(stats.cdnReasons.fallback).toBe(1);
  });

  it('asks a holder known to be too slow for the whole segment for its head from the start', async () => {
    // It announced 400 kbit/s (50 KB/s), and its uplink is that.
    const { clock, fixture, viewer } = await slowSeeders([400]);
    const segment = fixture.segments[2]!; // needed in 4 s: 300 KB at 50 KB/s would take 6 s
    const requestedAt = clock.now();
    const result = await settle(clock, requestSegment(viewer, fixture, segment).promise);
    expect(result.bytes).toEqual(segment.bytes);
    expect(result.source).toBe('mixed');
    expect(result.cdnReason).toBe('deadline');
    const [tail, ...others] = viewer.cdn.segmentRequests();
    expect(others).toHaveLength(0);
    // The tail was asked for with the head, not after a fallback.
    expect(tail!.atMs - requestedAt).toBeLessThan(10);
    const stats = viewer.engine.stats;
    expect(tail!.rangeStartBytes).toBe(stats.p2pBytes);
    expect(stats.p2pBytes).toBeGreaterThan(16 * 1024);
    expect(stats.p2pBytes + tail!.sentBytes).toBe(segment.bytes.byteLength);
    expect(stats.fallbacks).toBe(0);
    expect(stats.cdnReasons.deadline).toBe(1);
  });

  /** Seeders announced (and capped) at these rates, and a viewer connected to them all. */
  async function slowSeeders(uploadKbps: number[] = [400, 400]) {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 10, sizeBytes: 300_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    const seeders = uploadKbps.map((kbps) =>
      swarm!.addViewer({ config: { announcedUploadKbps: kbps } }),
    );
    // Every seeder seeded before any uplink is slowed: a later seeder would otherwise take
    // segments from a slow earlier one and leave its uplink busy with abandoned uploads.
    for (const seeder of seeders) await seedAll(clock, seeder, fixture);
    for (const [i, seeder] of seeders.entries())
      swarm.network.setUplink(seeder.id, uploadKbps[i]! * 125);
    const viewer = swarm.addViewer({ config: { prefetchAheadSec: 0 } });
    showPlaylist(viewer, fixture);
    viewer.engine.setPlayback({ positionSec: 0, rate: 0 });
    await clock.advanceUntil(() => viewer.engine.stats.peers === seeders.length, 5_000);
    await clock.advance(200);
    viewer.engine.setPlayback({ positionSec: 0, rate: 1 });
    return { clock, fixture, seeders, viewer, swarm };
  }

  const uploadedBy = (viewers: Array<{ engine: { stats: { uploadedBytes: number } } }>) =>
    viewers.map((v) => v.engine.stats.uploadedBytes);

  it('takes a segment neither of two slow holders carries in time half from each', async () => {
    const { clock, fixture, seeders, viewer } = await slowSeeders();
    // Needed in 6 s: 300 KB at 50 KB/s takes one of them 6 s, 150 KB each 3 s.
    const segment = fixture.segments[3]!;
    const before = uploadedBy(seeders);
    const result = await settle(clock, requestSegment(viewer, fixture, segment).promise);
    expect(result.bytes).toEqual(segment.bytes);
    expect(result.source).toBe('p2p');
    expect(viewer.cdn.segmentRequests()).toHaveLength(0);
    expect(viewer.engine.stats.p2pBytes).toBe(segment.bytes.byteLength);
    // Each sent its half and nothing past it.
    const sent = uploadedBy(seeders).map((bytes, i) => bytes - before[i]!);
    expect(sent).toEqual([150_000, 150_000]);
  });

  it('takes the rest of the tail from the CDN when the tail peer falls silent', async () => {
    // The faster seeder takes the head, 60% of it (3 s at 60 KB/s), the other the tail.
    const { clock, fixture, seeders, viewer, swarm } = await slowSeeders([480, 320]);
    const segment = fixture.segments[3]!;
    const load = requestSegment(viewer, fixture, segment);
    const fromTailPeer = () =>
      viewer.engine.stats.peerDetails.find((p) => p.peerId === seeders[1]!.engine.peerId)
        ?.downloadedBytes ?? 0;
    const tailBefore = fromTailPeer();
    await clock.advanceUntil(() => fromTailPeer() > tailBefore + 30_000, 3_000);
    swarm.network.kill(seeders[1]!.id, 30_000);
    const result = await settle(clock, load.promise);
    expect(result.bytes).toEqual(segment.bytes);
    expect(result.source).toBe('mixed');
    expect(result.cdnReason).toBe('fallback');
    const [rest, ...others] = viewer.cdn.segmentRequests();
    expect(others).toHaveLength(0);
    expect(rest!.rangeEndBytes).toBe(segment.bytes.byteLength);
    expect(rest!.rangeStartBytes).toBeGreaterThan(180_000);
    // Every byte once: both peers' and the CDN's rest of the tail.
    expect(viewer.engine.stats.p2pBytes + rest!.sentBytes).toBe(segment.bytes.byteLength);
  });

  it('gives the tail of a transfer that falls behind to a second holder in time', async () => {
    // The first announced 8 Mbit/s and sends 40 KB/s: 300 KB would take it 7.5 s.
    const { clock, fixture, seeders, viewer, swarm } = await slowSeeders([8_000, 2_000]);
    swarm.network.setUplink(seeders[0]!.id, 40_000);
    const segment = fixture.segments[3]!; // needed in 6 s
    const before = uploadedBy(seeders);
    const result = await settle(clock, requestSegment(viewer, fixture, segment).promise);
    expect(result.bytes).toEqual(segment.bytes);
    expect(result.source).toBe('p2p');
    expect(result.cdnReason).toBeNull();
    expect(viewer.cdn.segmentRequests()).toHaveLength(0);
    const sent = uploadedBy(seeders).map((bytes, i) => bytes - before[i]!);
    // The second sent only the tail; the first went on with the head.
    expect(sent[1]).toBeGreaterThan(0);
    expect(sent[1]).toBeLessThan(segment.bytes.byteLength - 32 * 1024);
    expect(viewer.engine.stats.p2pBytes).toBe(segment.bytes.byteLength);
  });

  it('takes the head from the CDN too when the peer falls silent after a split', async () => {
    const { clock, fixture, seeder, viewer, swarm } = await twoViewers(300_000, false, 16 * 1024);
    swarm.network.setUplink(seeder.id, 50 * 1024);
    const segment = fixture.segments[2]!;
    const requestedAt = clock.now();
    const load = requestSegment(viewer, fixture, segment);
    await clock.advanceUntil(() => viewer.cdn.segmentRequests().length === 1, 4_000);
    swarm.network.kill(seeder.id, 30_000); // silent: no close seen for 30 s
    const result = await settle(clock, load.promise);
    expect(result.bytes).toEqual(segment.bytes);
    expect(result.timing.endedAtMs - requestedAt).toBeLessThan(4_000);
    const [tail, head, ...others] = viewer.cdn.segmentRequests();
    expect(others).toHaveLength(0);
    // Every byte once: the peer's, the head's rest, the tail.
    const stats = viewer.engine.stats;
    expect(head!.rangeStartBytes).toBe(stats.p2pBytes);
    expect(head!.rangeEndBytes).toBe(tail!.rangeStartBytes);
    expect(stats.p2pBytes + head!.sentBytes + tail!.sentBytes).toBe(segment.bytes.byteLength);
    expect(stats.fallbacks).toBe(1);
  });

  it('a player that gives up a split segment cancels the peer and the CDN share alike', async () => {
    const { clock, fixture, seeder, viewer, swarm } = await twoViewers(300_000, false, 16 * 1024);
    swarm.network.setUplink(seeder.id, 50 * 1024);
    const segment = fixture.segments[2]!;
    const load = requestSegment(viewer, fixture, segment);
    await clock.advanceUntil(() => viewer.cdn.segmentRequests().length === 1, 4_000);
    load.cancel();
    await expect(load.promise).rejects.toMatchObject({ code: 'aborted' });
    expect(viewer.cdn.segmentRequests()[0]!.canceled).toBe(true);
    // Nothing else is asked for it, from the CDN or from the peer.
    await clock.advance(10_000);
    expect(viewer.cdn.segmentRequests()).toHaveLength(1);
    expect(viewer.engine.stats.fallbacks).toBe(1);
  });

  it('abandons a peer that goes silent and finishes over HTTP before the deadline', async () => {
    const { clock, fixture, seeder, viewer, swarm } = await twoViewers(400_000);
    swarm.network.setUplink(seeder.id, 200 * 1024);
    const segment = fixture.segments[4]!; // needed in 8 s
    const requestedAt = clock.now();
    const load = requestSegment(viewer, fixture, segment);
    await clock.advance(500);
    swarm.network.kill(seeder.id, 30_000); // silent: no close seen for 30 s
    const result = await settle(clock, load.promise);
    expect(result.bytes).toEqual(segment.bytes);
    expect(result.timing.endedAtMs - requestedAt).toBeLessThan(8_000);
    expect(viewer.engine.stats.fallbacks).toBe(1);
  });

  it('reports to the player the real transfer of a segment that was prefetched', async () => {
    const { clock, fixture, viewer } = await twoViewers(100_000, true);
    // Prefetch runs ahead of the playhead from the peer.
    await clock.advanceUntil(() => viewer.engine.stats.segmentsFromP2p >= 5, 10_000);
    const segment = fixture.segments[6]!;
    const before = clock.now();
    const result = await settle(clock, requestSegment(viewer, fixture, segment).promise);
    expect(result.fromStore).toBe(true);
    expect(result.source).toBe('p2p');
    expect(result.cdnReason).toBeNull();
    // The timing is that of the transfer that happened, not a zero-length stand-in.
    expect(result.timing.endedAtMs).toBeLessThanOrEqual(before);
    expect(result.timing.endedAtMs - result.timing.startedAtMs).toBeGreaterThan(0);
  });
});

describe('progress', () => {
  it('reports bytes to the player as they arrive, from peers and then over HTTP, never going back', async () => {
    const { clock, fixture, seeder, viewer, swarm } = await twoViewers(600_000, false, 16 * 1024);
    swarm.network.setUplink(seeder.id, 100 * 1024);
    const segment = fixture.segments[2]!;
    const reports: Array<[number, number | null]> = [];
    const load = viewer.engine.loadSegment({
      rendition: fixture.rendition,
      sequence: segment.sequence,
      url: segment.url,
      startSec: segment.startSec,
      durationSec: segment.durationSec,
      onProgress: (loaded, total) => reports.push([loaded, total]),
    });
    const result = await settle(clock, load.promise);
    expect(result.source).toBe('mixed');
    expect(reports.length).toBeGreaterThan(3);
    const loaded = reports.map(([bytes]) => bytes);
    expect([...loaded].sort((a, b) => a - b)).toEqual(loaded);
    expect(new Set(loaded).size).toBe(loaded.length);
    expect(loaded[loaded.length - 1]).toBe(segment.bytes.byteLength);
    expect(reports[0]![1]).toBe(segment.bytes.byteLength);
  });
});
