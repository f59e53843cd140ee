import { PEER_PROTOCOL_VERSION } from '@coral-cdn/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from './harness/fake-clock.js';
import { VodFixture, type SegmentFixture } from './harness/stream-fixture.js';
import {
  requestSegment,
  seedAll,
  segmentRequest,
  settle,
  showPlaylist,
  SimSwarm,
} from './harness/swarm.js';

let swarm: SimSwarm | null = null;
afterEach(() => {
  swarm?.destroy();
  swarm = null;
});

describe('P2P switch', () => {
  it('off: never contacts the tracker or a peer, and every segment comes over HTTP', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 8, sizeBytes: 50_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    const seeder = swarm.addViewer();
    await seedAll(clock, seeder, fixture);
    const attemptsBefore = swarm.network.socketAttempts.length;
    const viewer = swarm.addViewer({ config: { p2pEnabled: false } });
    const player = swarm.play(viewer, { playlistUrl: fixture.playlistUrl });
    await clock.advance(20_000);
    expect(player.stats.segmentsLoaded).toBe(8);
    expect(swarm.network.socketAttempts.length).toBe(attemptsBefore);
    expect(viewer.engine.stats).toMatchObject({
      p2pBytes: 0,
      peers: 0,
      p2pEnabled: false,
      uploadedBytes: 0,
    });
    expect(viewer.engine.stats.httpBytes).toBe(8 * 50_000);
    // Not even the integrity manifest: P2P off is plain HTTP.
    expect(viewer.cdn.manifestRequests()).toHaveLength(0);
    expect(seeder.engine.stats.uploadedBytes).toBe(0);
  });
});

describe('the network at start-up', () => {
  it('stays off it before the first frame (no tracker, no hashes, no peer), joins once it shows, and within connectHoldMaxMs regardless', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 4, sizeBytes: 50_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    // A seeder that only answers (asks for no peers): every connection here is an offer made
    // by a viewer under test.
    const seeder = swarm.addViewer({ config: { targetPeers: 0 } });
    await seedAll(clock, seeder, fixture);
    // One that never shows a frame (paused, autoplay refused) still joins, after the hold.
    const idle = swarm.addViewer({ config: { targetPeers: 1 } });
    const idleJoinedAtMs = clock.now();
    showPlaylist(idle, fixture);
    await clock.advance(2_500);
    expect(idle.engine.stats.trackerConnected).toBe(false);
    expect(idle.cdn.manifestRequests()).toHaveLength(0);
    await clock.advanceUntil(() => idle.engine.stats.peers === 1, 1_000);
    expect(clock.now() - idleJoinedAtMs).toBeGreaterThanOrEqual(3_000);
    expect(idle.cdn.manifestRequests()).toHaveLength(1);
    // One that starts: while its start-up segments come from the CDN it makes no request of
    // its own, and no peer learns of it (a viewer already playing connects to the others
    // only); once its first frame shows it joins, fetches the hashes and connects.
    const socketsBefore = swarm.network.socketAttempts.length;
    const starter = swarm.addViewer();
    showPlaylist(starter, fixture);
    const start = await settle(
      clock,
      requestSegment(starter, fixture, fixture.segments[0]!).promise,
    );
    expect(start.source).toBe('http');
    await clock.advance(200);
    const veteran = swarm.addViewer();
    veteran.engine.reportStartup(500);
    showPlaylist(veteran, fixture);
    await clock.advanceUntil(() => veteran.engine.stats.peers === 2, 1_000); // seeder, idle
    await clock.advance(800);
    expect(swarm.network.socketAttempts.length).toBe(socketsBefore + 1); // the veteran's
    expect(starter.engine.stats.trackerConnected).toBe(false);
    expect(starter.cdn.requests.map((request) => request.url)).toEqual([fixture.segments[0]!.url]);
    expect(veteran.engine.stats.peers).toBe(2);
    starter.engine.reportStartup(900);
    await clock.advanceUntil(() => starter.engine.stats.peers === 3, 1_000);
    expect(veteran.engine.stats.peers).toBe(3);
    expect(starter.cdn.manifestRequests()).toHaveLength(1);
  });
});

describe('segments before the first frame', () => {
  const timing = { startedAtMs: 0, firstByteAtMs: 20, endedAtMs: 60 };

  it('only those the first frame needs come from the CDN; later ones wait for it and come from peers', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 8, sizeBytes: 50_000, durationSec: 4 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    const seeder = swarm.addViewer();
    await seedAll(clock, seeder, fixture);
    // A browser whose first frame is slow (a busy machine): hls.js asks for segment after
    // segment while it waits for it.
    const starter = swarm.addViewer();
    const holdEndsAtMs = clock.now() + 3_000;
    showPlaylist(starter, fixture);
    const [first, second, third] = fixture.segments as [
      SegmentFixture,
      SegmentFixture,
      SegmentFixture,
    ];
    expect(starter.engine.leavesToPlayer(segmentRequest(fixture, first))).toBe(true);
    starter.engine.adoptSegment(segmentRequest(fixture, first), first.bytes.slice(), timing);
    expect(starter.engine.leavesToPlayer(segmentRequest(fixture, second))).toBe(true);
    starter.engine.adoptSegment(segmentRequest(fixture, second), second.bytes.slice(), timing);
    expect(starter.engine.leavesToPlayer(segmentRequest(fixture, third))).toBe(false);
    let thirdResult: { source: string } | null = null;
    const thirdLoad = requestSegment(starter, fixture, third);
    void thirdLoad.promise.then((result) => (thirdResult = result));
    await clock.advance(1_000);
    // Held: no request of its own, not even for the third segment.
    expect(thirdResult).toBeNull();
    expect(starter.cdn.requests).toHaveLength(0);
    expect(starter.engine.stats.trackerConnected).toBe(false);
    starter.engine.reportStartup(1_000);
    starter.engine.setPlayback({ positionSec: 0, rate: 1 });
    const fromPeer = await settle(clock, thirdLoad.promise);
    // Taken up as the first frame shows, not at the hold's end.
    expect(clock.now()).toBeLessThan(holdEndsAtMs);
    expect(fromPeer.source).toBe('p2p');
    expect(fromPeer.bytes).toEqual(third.bytes);
    expect(starter.cdn.segmentRequests()).toHaveLength(0);
    expect(starter.engine.stats.cdnReasons).toMatchObject({ startup: 2, alone: 0 });
  });

  it('a viewer that never shows a frame gets its later segments once the hold ends', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 8, sizeBytes: 50_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    const paused = swarm.addViewer();
    showPlaylist(paused, fixture);
    const startedAtMs = clock.now();
    for (const segment of fixture.segments.slice(0, 2))
      await settle(clock, requestSegment(paused, fixture, segment).promise);
    const third = await settle(
      clock,
      requestSegment(paused, fixture, fixture.segments[2]!).promise,
    );
    expect(third.source).toBe('http');
    // Alone in its swarm: after the hold (3 s), without waiting for a frame that never comes.
    expect(clock.now() - startedAtMs).toBeGreaterThanOrEqual(3_000);
    expect(clock.now() - startedAtMs).toBeLessThan(3_500);
  });

  /** A viewer that started, is paused at 0 (time to ask peers) and is connected to one peer. */
  async function pausedViewer(clock: FakeClock, fixture: VodFixture) {
    const viewer = swarm!.addViewer();
    showPlaylist(viewer, fixture);
    viewer.engine.reportStartup(500);
    viewer.engine.setPlayback({ positionSec: 0, rate: 0 });
    await clock.advanceUntil(() => viewer.engine.stats.peers === 1, 5_000);
    return viewer;
  }

  it('are left to the player, whose bytes are counted, kept, and shared once verified (damaged ones never)', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 4, sizeBytes: 50_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    const starter = swarm.addViewer();
    showPlaylist(starter, fixture);
    // Segments a few seconds ahead of the later viewer's playhead: time to ask peers.
    const [later, good, spoilt] = fixture.segments.slice(1) as [
      SegmentFixture,
      SegmentFixture,
      SegmentFixture,
    ];
    expect(starter.engine.leavesToPlayer(segmentRequest(fixture, good))).toBe(true);
    starter.engine.adoptSegment(segmentRequest(fixture, good), good.bytes.slice(), timing);
    // The player's fetch of another segment came back damaged (a broken cache, say).
    const damaged = spoilt.bytes.slice();
    damaged[100] = damaged[100]! ^ 0xff;
    starter.engine.adoptSegment(segmentRequest(fixture, spoilt), damaged, timing);
    // Held now: the player gets it from memory, not from the CDN again.
    expect(starter.engine.leavesToPlayer(segmentRequest(fixture, good))).toBe(false);
    expect(starter.engine.stats).toMatchObject({
      httpBytes: 100_000,
      segmentsFromHttp: 2,
      storedSegments: 2,
    });
    expect(starter.engine.stats.cdnReasons.startup).toBe(2);
    starter.engine.reportStartup(700);
    // Once the first frame shows, the engine loads segments itself.
    expect(starter.engine.leavesToPlayer(segmentRequest(fixture, later))).toBe(false);
    const fromMemory = await settle(clock, requestSegment(starter, fixture, good).promise);
    expect(fromMemory.fromStore).toBe(true);
    expect(starter.cdn.segmentRequests()).toHaveLength(0);

    // A later viewer finds the adopted segment at the starter, and only the verified one.
    const late = await pausedViewer(clock, fixture);
    const fromPeer = await settle(clock, requestSegment(late, fixture, good).promise);
    expect(fromPeer.source).toBe('p2p');
    expect(fromPeer.bytes).toEqual(good.bytes);
    const fromCdn = await settle(clock, requestSegment(late, fixture, spoilt).promise);
    expect(fromCdn.source).toBe('http');
    expect(fromCdn.bytes).toEqual(spoilt.bytes);
    expect(late.engine.stats.integrityFailures).toBe(0);
  });

  it('with integrity off, are shared as they came (like any CDN bytes then)', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 4, sizeBytes: 50_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    const starter = swarm.addViewer({ config: { integrityEnabled: false } });
    showPlaylist(starter, fixture);
    const segment = fixture.segments[2]!;
    starter.engine.adoptSegment(segmentRequest(fixture, segment), segment.bytes.slice(), timing);
    starter.engine.reportStartup(700);
    // The taker checks what it gets (an engine with integrity off never takes peer bytes).
    const late = await pausedViewer(clock, fixture);
    const fromPeer = await settle(clock, requestSegment(late, fixture, segment).promise);
    expect(fromPeer.source).toBe('p2p');
    expect(fromPeer.bytes).toEqual(segment.bytes);
  });
});

describe('segment memory', () => {
  it('stays within its byte bound, evicting the least recently used, and counts unplayed prefetches as waste', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 20, sizeBytes: 100_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    const seeder = swarm.addViewer();
    await seedAll(clock, seeder, fixture);
    const viewer = swarm.addViewer({
      config: { segmentMemoryBytes: 450_000, prefetchAheadSec: 30 },
    });
    showPlaylist(viewer, fixture);
    viewer.engine.setPlayback({ positionSec: 0, rate: 0 });
    let maxStoredBytes = 0;
    await clock.advanceUntil(() => {
      maxStoredBytes = Math.max(maxStoredBytes, viewer.engine.stats.storedBytes);
      return viewer.engine.stats.prefetchedBytes >= 600_000;
    }, 20_000);
    expect(maxStoredBytes).toBeLessThanOrEqual(450_000);
    expect(viewer.engine.stats.storedSegments).toBe(4);
    // Prefetched far more than fits: the oldest unplayed ones were dropped, and they are waste.
    const stats = viewer.engine.stats;
    expect(stats.prefetchWastedBytes).toBeGreaterThanOrEqual(stats.prefetchedBytes - 400_000);
    expect(stats.prefetchWastedBytes % 100_000).toBe(0);
    // What it still holds can be served from memory, and the bound held throughout.
    let fromStore = 0;
    for (const segment of fixture.segments.slice(0, 16)) {
      const result = await settle(clock, requestSegment(viewer, fixture, segment).promise);
      expect(result.bytes).toEqual(segment.bytes);
      if (result.fromStore) fromStore++;
    }
    expect(fromStore).toBeGreaterThan(0);
    expect(fromStore).toBeLessThanOrEqual(4);
  });
});

describe('tracker outage', () => {
  it('keeps existing peer connections, reconnects with back-off, and P2P resumes with new peers', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 30, sizeBytes: 50_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    const seeder = swarm.addViewer();
    await seedAll(clock, seeder, fixture);
    const viewer = swarm.addViewer();
    swarm.play(viewer, { playlistUrl: fixture.playlistUrl });
    await clock.advanceUntil(() => viewer.engine.stats.peers === 1, 5_000);
    swarm.tracker.stop();
    await clock.advance(2_000);
    expect(viewer.engine.stats.trackerConnected).toBe(false);
    // The data channel does not need the tracker.
    expect(viewer.engine.stats.peers).toBe(1);
    const attemptsWhileDown = swarm.network.socketAttempts.length;
    await clock.advance(20_000);
    const retries = swarm.network.socketAttempts.length - attemptsWhileDown;
    // Exponential back-off from 1 s (capped at 30 s): a handful of retries in 20 s, not hundreds.
    expect(retries).toBeGreaterThanOrEqual(2);
    expect(retries).toBeLessThanOrEqual(12);
    swarm.tracker.start();
    const late = swarm.addViewer();
    swarm.play(late, { playlistUrl: fixture.playlistUrl });
    await clock.advanceUntil(() => viewer.engine.stats.trackerConnected, 40_000);
    await clock.advanceUntil(() => late.engine.stats.peers >= 1, 20_000);
    await clock.advance(20_000);
    expect(late.engine.stats.p2pBytes).toBeGreaterThan(0);
    expect(viewer.player!.stats.stalls).toBe(0);
  });
});

describe('viewer token', () => {
  it('refreshes a token the tracker refuses as expired, and joins with the new one', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 4, sizeBytes: 10_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    let refreshes = 0;
    const viewer = swarm.addViewer({
      token: 'expired-1',
      refreshToken: () => {
        refreshes++;
        return Promise.resolve(`fresh-${refreshes}`);
      },
    });
    showPlaylist(viewer, fixture);
    await clock.advanceUntil(() => swarm!.tracker.members('demo/240p').length === 1, 5_000);
    expect(refreshes).toBe(1);
    const joins = swarm.tracker.received.flatMap((m) => (m.type === 'join' ? [m] : []));
    expect(joins.map((join) => join.token)).toEqual(['expired-1', 'fresh-1']);
    // The tracker matches peers by the peer protocol they speak (a rolling upgrade).
    for (const join of joins) expect(join.peerProtocol).toBe(PEER_PROTOCOL_VERSION);
  });

  it('without a refresher, stays CDN-only instead of retrying a refused token forever', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 4, sizeBytes: 10_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    const viewer = swarm.addViewer({ token: 'expired-1' });
    const player = swarm.play(viewer, { playlistUrl: fixture.playlistUrl });
    await clock.advance(20_000);
    expect(player.stats.segmentsLoaded).toBe(4);
    expect(swarm.tracker.received.filter((m) => m.type === 'join')).toHaveLength(1);
  });
});
