import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from './harness/fake-clock.js';
import { VodFixture } from './harness/stream-fixture.js';
import { SimSwarm } from './harness/swarm.js';

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
