import { afterEach, describe, expect, it } from 'vitest';
import { BadPeer, type BadPeerMode } from './harness/bad-peer.js';
import { FakeClock } from './harness/fake-clock.js';
import { VodFixture } from './harness/stream-fixture.js';
import { requestSegment, settle, showPlaylist, SimSwarm } from './harness/swarm.js';

let swarm: SimSwarm | null = null;
let badPeer: BadPeer | null = null;
afterEach(() => {
  swarm?.destroy();
  badPeer?.stop();
  swarm = null;
  badPeer = null;
});

/** A VOD swarm whose only other member is the bad peer, and a viewer connected to it. */
async function viewerWithBadPeer(mode: BadPeerMode, config: Record<string, number>) {
  const clock = new FakeClock();
  const fixture = await VodFixture.create({ count: 6, sizeBytes: 50_000 });
  swarm = new SimSwarm(clock, fixture.content, 'demo');
  badPeer = new BadPeer(
    swarm.network,
    swarm.tracker.url,
    'demo/240p',
    'demo',
    new Map(fixture.segments.map((s) => [s.sequence, s.bytes])),
    mode,
  );
  badPeer.start();
  await clock.advance(200);
  const viewer = swarm.addViewer({ config });
  showPlaylist(viewer, fixture);
  viewer.engine.setPlayback({ positionSec: 0, rate: 1 });
  await clock.advanceUntil(() => viewer.engine.stats.peers === 1, 5_000);
  await clock.advance(300); // bitfield, integrity manifest
  return { clock, fixture, viewer, swarm, badPeer };
}

describe('hostile peers', () => {
  it('drops and reports a peer that announces segments and then refuses them', async () => {
    const { clock, fixture, viewer, swarm, badPeer } = await viewerWithBadPeer('refuse', {
      prefetchAheadSec: 0,
    });
    // Three segments asked at once, all refused: each comes from the CDN instead, and the third
    // refusal (peerMaxRefusals) drops the peer.
    const segments = fixture.segments.slice(3, 6);
    const loads = segments.map((segment) => requestSegment(viewer, fixture, segment).promise);
    for (const [index, load] of loads.entries()) {
      const result = await settle(clock, load);
      expect(result.bytes).toEqual(segments[index]!.bytes);
      expect(result.source).toBe('http');
    }
    expect(badPeer.requestsServed).toBe(3);
    expect(viewer.engine.stats.peers).toBe(0);
    expect(swarm.tracker.reports.map((r) => r.reason)).toEqual(['protocol']);
  });

  it('gives up drip-fed prefetches at the transfer deadline and drops the peer', async () => {
    // Paused playback: no playback deadline, so only the transfer deadline can end a prefetch
    // that receives 128 bytes a second (well inside the stall timeout) for ever.
    // Two prefetches at once, both drip-fed: two refusals drop the peer.
    const { clock, viewer, swarm, badPeer } = await viewerWithBadPeer('drip', {
      prefetchAheadSec: 40,
      peerMaxRefusals: 2,
      peerTransferDeadlineMs: 20_000,
    });
    viewer.engine.setPlayback({ positionSec: 0, rate: 0 });
    const startedAtMs = clock.now();
    await clock.advanceUntil(() => badPeer.requestsServed > 0, 5_000);
    for (let i = 0; i < 90 && viewer.engine.stats.peers > 0; i++) {
      badPeer.drip();
      await clock.advance(1_000);
    }
    // Cut at the transfer deadline (20 s here), not at the end of the drip (400 s).
    expect(clock.now() - startedAtMs).toBeLessThanOrEqual(22_000);
    expect(badPeer.requestsServed).toBe(2);
    expect(viewer.engine.stats.peers).toBe(0);
    expect(swarm.tracker.reports.map((r) => r.reason)).toEqual(['protocol']);
  });
});
