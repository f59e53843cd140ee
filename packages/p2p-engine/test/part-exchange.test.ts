import { afterEach, describe, expect, it } from 'vitest';
import { BadPartPeer } from './harness/bad-part-peer.js';
import { FakeClock } from './harness/fake-clock.js';
import { LivePartsFixture, type PartFixture } from './harness/part-fixture.js';
import { LiveFixture } from './harness/stream-fixture.js';
import { settle, showPlaylist, SimSwarm, type Viewer } from './harness/swarm.js';

let swarm: SimSwarm | null = null;
let badPeer: BadPartPeer | null = null;
afterEach(() => {
  swarm?.destroy();
  badPeer?.stop();
  swarm = null;
  badPeer = null;
});

/** A live channel three segments in, with LL parts beside it. */
async function llChannel() {
  const clock = new FakeClock();
  const live = new LiveFixture('live', '240p', 60_000);
  for (let i = 0; i < 3; i++) await live.publish();
  const parts = new LivePartsFixture(live);
  swarm = new SimSwarm(clock, parts.content, 'live');
  return { clock, live, parts, swarm };
}

/** A viewer that loaded the live playlist and shows its first frame. */
function watch(viewer: Viewer, live: LiveFixture): void {
  showPlaylist(viewer, { ...live, segments: live.window }, true);
  viewer.engine.reportStartup(0);
}

/** Its playhead 1.5 s (three part targets) behind the part, playing. */
function playBehind(viewer: Viewer, part: PartFixture): void {
  viewer.engine.setPlayback({ positionSec: part.startSec - 1.5, rate: 1 });
}

function cdnRequestsFor(viewer: Viewer, url: string): number {
  return viewer.cdn.requests.filter((request) => request.url === url).length;
}

describe('LL parts between peers', () => {
  it('the elected fetcher takes a new part from the CDN and announces it; the other viewer takes it from the fetcher, checked', async () => {
    const { clock, live, parts, swarm } = await llChannel();
    const fetcher = swarm.addViewer();
    watch(fetcher, live);
    await clock.advanceUntil(() => fetcher.engine.peerId !== null, 5_000);
    swarm.tracker.electionFetchers = () => [fetcher.engine.peerId!];
    const waiter = swarm.addViewer();
    watch(waiter, live);
    await clock.advanceUntil(
      () => fetcher.engine.stats.peers === 1 && waiter.engine.stats.peers === 1,
      10_000,
    );
    // The segment in progress: not listed when either viewer loaded the playlist.
    const [part] = await parts.addParts(3);
    for (const viewer of [fetcher, waiter]) playBehind(viewer, part!);
    const fromFetcher = fetcher.engine.loadPart(parts.request(part!));
    const fromWaiter = waiter.engine.loadPart(parts.request(part!));
    const [a, b] = await settle(clock, Promise.all([fromFetcher.promise, fromWaiter.promise]));

    expect(a.source).toBe('http');
    expect(b.source).toBe('p2p');
    expect(b.bytes).toEqual(part!.bytes);
    expect(cdnRequestsFor(fetcher, part!.url)).toBe(1);
    expect(cdnRequestsFor(waiter, part!.url)).toBe(0);
    // The waiter checked the part against the entry the fetcher sent: no manifest fetch.
    expect(waiter.cdn.requests.some((r) => r.url.includes('_HLS_part='))).toBe(false);
    expect(fetcher.engine.stats.parts).toMatchObject({
      fromHttp: 1,
      httpBytes: part!.bytes.length,
    });
    expect(waiter.engine.stats.parts).toMatchObject({
      fromP2p: 1,
      p2pBytes: part!.bytes.length,
      fromHttp: 0,
      integrityFailures: 0,
    });
    expect(waiter.engine.stats.p2pBytes).toBe(part!.bytes.length);
  });

  it('a viewer with no holder for a part waits only while the CDN can still deliver in time', async () => {
    const { clock, live, parts, swarm } = await llChannel();
    const first = swarm.addViewer();
    watch(first, live);
    const second = swarm.addViewer();
    watch(second, live);
    await clock.advanceUntil(() => second.engine.stats.peers === 1, 10_000);
    // A part of a segment listed at load: the viewer waits for peers, but nobody loads it.
    const [part] = await parts.addParts(2);
    playBehind(second, part!);
    const askedAtMs = clock.now();
    const result = await settle(clock, second.engine.loadPart(parts.request(part!)).promise);
    expect(result.source).toBe('http');
    expect(result.bytes).toEqual(part!.bytes);
    // Due 1.5 s after the ask: the CDN fetch started in time to land before the deadline.
    expect(result.timing.endedAtMs).toBeLessThanOrEqual(askedAtMs + 1_500);
    expect(result.timing.startedAtMs).toBeGreaterThan(askedAtMs);
    expect(second.engine.stats.parts.cdnReasons['no-holder']).toBe(1);
  });

  it('catches a peer that sends a corrupt part: the CDN serves it, the peer is dropped and reported', async () => {
    const { clock, live, parts, swarm } = await llChannel();
    // Parts of the newest listed segment: a viewer that joined waits for peers for them.
    const held = await parts.addParts(2);
    badPeer = new BadPartPeer(swarm.network, swarm.tracker.url, 'live/240p', 'live', '240p', held);
    badPeer.start();
    await clock.advance(200);
    const viewer = swarm.addViewer();
    watch(viewer, live);
    await clock.advanceUntil(() => viewer.engine.stats.peers === 1, 10_000);
    const part = held[0]!;
    playBehind(viewer, part);
    const result = await settle(clock, viewer.engine.loadPart(parts.request(part)).promise);

    expect(badPeer.partRequestsServed).toBe(1);
    expect(result.source).toBe('http');
    expect(result.bytes).toEqual(part.bytes);
    expect(viewer.engine.stats.parts).toMatchObject({ integrityFailures: 1, fromHttp: 1 });
    expect(viewer.engine.stats.integrityFailures).toBe(1);
    await clock.advanceUntil(() => viewer.engine.stats.peers === 0, 5_000);
    expect(swarm.tracker.reports).toContainEqual(
      expect.objectContaining({ peerId: badPeer.peerId, reason: 'integrity' }),
    );
  });
});
