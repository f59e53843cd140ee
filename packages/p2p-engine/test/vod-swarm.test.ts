import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from './harness/fake-clock.js';
import { VodFixture } from './harness/stream-fixture.js';
import { seedAll, showPlaylist, SimSwarm, type Viewer } from './harness/swarm.js';

let swarm: SimSwarm | null = null;
afterEach(() => {
  swarm?.destroy();
  swarm = null;
});

describe('VOD swarm', () => {
  it('a later viewer takes most segments from an earlier one, verified, without stalls', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 20, sizeBytes: 100_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    const first = swarm.addViewer();
    const firstPlayer = swarm.play(first, { playlistUrl: fixture.playlistUrl });
    await clock.advance(45_000);
    expect(first.engine.stats.httpBytes).toBeGreaterThanOrEqual(20 * 100_000);
    expect(firstPlayer.stats.segmentsLoaded).toBe(20);

    const second = swarm.addViewer();
    const secondPlayer = swarm.play(second, { playlistUrl: fixture.playlistUrl });
    await clock.advance(45_000);
    const stats = second.engine.stats;
    expect(secondPlayer.stats.segmentsLoaded).toBe(20);
    expect(secondPlayer.stats.stalls).toBe(0);
    expect(stats.p2pBytes).toBeGreaterThan(15 * 100_000);
    expect(stats.integrityFailures).toBe(0);
    expect(first.engine.stats.uploadedBytes).toBe(stats.p2pBytes);
    // The CDN saw only what nobody held or what was needed before a peer could deliver it.
    expect(second.cdn.segmentRequests().length).toBeLessThan(5);
  });
});

describe('peer choice by distance', () => {
  it('a viewer takes its segments from the nearer of two equally fast holders', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 12, sizeBytes: 100_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    // Equal uplinks; the far seeder is 150 ms further away each way (a 380 ms round trip to
    // the viewer against 80 ms), and joins first, so it is the first holder the viewer knows.
    const far = swarm.addViewer({ accessDelayMs: 150 });
    await seedAll(clock, far, fixture);
    const near = swarm.addViewer();
    await seedAll(clock, near, fixture);
    // Few downloads at once, so that no holder is skipped for being busy.
    const viewer = swarm.addViewer({ accessDelayMs: 20, config: { prefetchConcurrency: 1 } });
    // On the network before it plays, so that both holders are known when it asks.
    showPlaylist(viewer, fixture);
    viewer.engine.reportStartup(0);
    await clock.advanceUntil(
      () => viewer.engine.stats.peerDetails.filter((peer) => peer.rttMs !== null).length === 2,
      10_000,
    );
    const player = swarm.play(viewer, { playlistUrl: fixture.playlistUrl, bufferTargetSec: 12 });
    await clock.advanceUntil(() => player.stats.segmentsLoaded === 12, 60_000, 50);
    expect(player.stats.stalls).toBe(0);
    const details = viewer.engine.stats.peerDetails;
    const of = (seeder: Viewer) => details.find((peer) => peer.peerId === seeder.engine.peerId);
    // The stack's measured round trips: 2 × (20 ms network + both access links).
    expect(of(near)?.rttMs).toBe(80);
    expect(of(far)?.rttMs).toBe(380);
    const fromNear = of(near)?.downloadedBytes ?? 0;
    const fromFar = of(far)?.downloadedBytes ?? 0;
    expect(fromNear + fromFar).toBeGreaterThanOrEqual(8 * 100_000);
    // Holders are ranked by round trip plus transfer time: the near one serves all.
    expect(fromFar).toBe(0);
  });
});

describe('peer choice by announced uplink', () => {
  it('a new peer is assumed no faster than the upload it announced, until measured', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 4, sizeBytes: 100_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    const seeder = swarm.addViewer({ config: { announcedUploadKbps: 1_000 } });
    await seedAll(clock, seeder, fixture);
    const viewer = swarm.addViewer({ config: { announcedUploadKbps: 2_000 } });
    showPlaylist(viewer, fixture);
    viewer.engine.reportStartup(0);
    await clock.advanceUntil(() => viewer.engine.stats.peers === 1, 10_000);
    // 1,000 kbit/s = 125,000 B/s, below the engine's 1 MiB/s guess for a peer never measured.
    expect(viewer.engine.stats.peerDetails[0]?.downloadBytesPerSec).toBe(125_000);
    // The seeder answered the viewer's offer: the tracker relayed the offerer's 2,000 kbit/s.
    await clock.advanceUntil(() => seeder.engine.stats.peers === 1, 10_000);
    expect(seeder.engine.stats.peerDetails[0]?.downloadBytesPerSec).toBe(250_000);
  });
});

describe('VOD start-up', () => {
  it('a viewer still connecting to peers waits for them for segments the CDN could still deliver later', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 12, sizeBytes: 100_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    const seeder = swarm.addViewer();
    swarm.play(seeder, { playlistUrl: fixture.playlistUrl });
    await clock.advance(30_000);
    // The network is slow to set up connections: 300 ms one way.
    const viewer = swarm.addViewer();
    const player = swarm.play(viewer, { playlistUrl: fixture.playlistUrl, bufferTargetSec: 12 });
    await clock.advance(30_000);
    expect(player.stats.stalls).toBe(0);
    expect(player.stats.segmentsLoaded).toBe(12);
    // Only start-up came from the CDN: what was asked for before the player reported its
    // first frame (the viewer waiting on it). After it, the viewer waited for its peers.
    const fromCdn = viewer.cdn.segmentRequests();
    expect(fromCdn.length).toBeLessThanOrEqual(3);
    expect(viewer.engine.stats.p2pBytes).toBeGreaterThanOrEqual(9 * 100_000);
    expect(player.stats.startupMs).toBe(firstStartup(seeder));
  });
});

function firstStartup(viewer: {
  player: { stats: { startupMs: number | null } } | null;
}): number | null {
  return viewer.player?.stats.startupMs ?? null;
}

describe('signalling order', () => {
  it("relays the answerer's candidates too, so that peers behind NATs connect", async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 4, sizeBytes: 10_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    swarm.network.natDropsUnsolicited = true;
    const a = swarm.addViewer();
    const b = swarm.addViewer();
    swarm.play(a, { playlistUrl: fixture.playlistUrl });
    swarm.play(b, { playlistUrl: fixture.playlistUrl });
    await clock.advanceUntil(() => a.engine.stats.peers === 1 && b.engine.stats.peers === 1, 5_000);
    const recipients = new Set<string>();
    for (const message of swarm.tracker.received) {
      if (message.type === 'signal' && message.signal.kind === 'candidate')
        recipients.add(message.to);
    }
    // Both the offerer and the answerer sent candidates: each side received some.
    expect(recipients.size).toBe(2);
  });

  it("sends a connection's candidates only after its offer or answer, even when the stack gathers first", async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 4, sizeBytes: 10_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    swarm.network.candidatesBeforeDescription = true;
    const a = swarm.addViewer();
    const b = swarm.addViewer();
    swarm.play(a, { playlistUrl: fixture.playlistUrl });
    swarm.play(b, { playlistUrl: fixture.playlistUrl });
    await clock.advanceUntil(() => a.engine.stats.peers === 1 && b.engine.stats.peers === 1, 5_000);
    const seen = new Set<string>();
    let candidates = 0;
    for (const message of swarm.tracker.received) {
      if (message.type !== 'signal') continue;
      const { kind, connectionId } = message.signal;
      if (kind === 'candidate') {
        candidates++;
        expect(seen.has(connectionId)).toBe(true);
      } else seen.add(connectionId);
    }
    expect(candidates).toBeGreaterThanOrEqual(2);
  });
});
