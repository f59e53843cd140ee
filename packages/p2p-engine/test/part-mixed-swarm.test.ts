import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from './harness/fake-clock.js';
import { showLlPlaylist } from './harness/ll-viewers.js';
import { LivePartsFixture } from './harness/part-fixture.js';
import { LiveFixture } from './harness/stream-fixture.js';
import { requestSegment, settle, SimSwarm } from './harness/swarm.js';

let swarm: SimSwarm | null = null;
afterEach(() => {
  swarm?.destroy();
  swarm = null;
});

/**
 * Two viewers play an LL channel as parts; a third, in the same swarm, plays whole segments
 * (hls.js not in low-latency mode, or the headless node peer). The tracker elects `elected`
 * (0, 1: an LL viewer; 2: the whole-segment viewer) to fetch segment 3; the whole-segment
 * viewer plays segment 2, and the LL viewers then load segment 3's four parts. Returns where the LL viewers' parts came from.
 */
async function partsWithElected(elected: 0 | 2) {
  const clock = new FakeClock();
  const live = new LiveFixture('live', '240p', 60_000);
  for (let i = 0; i < 3; i++) await live.publish();
  const parts = new LivePartsFixture(live);
  swarm = new SimSwarm(clock, parts.content, 'live');
  swarm.tracker.electionFetchers = (_swarmId, members) => [members[elected]!];
  const viewers = [swarm.addViewer(), swarm.addViewer(), swarm.addViewer()];
  for (const viewer of viewers) {
    showLlPlaylist(viewer, live);
    viewer.engine.reportStartup(0);
  }
  await clock.advanceUntil(() => viewers.every((v) => v.engine.stats.peers === 2), 10_000);
  // The whole-segment viewer plays segment 2 and says so (HAVE): it announces segments, never
  // a part, so the LL viewers know it plays whole segments.
  const whole = viewers[2]!;
  whole.engine.setPlayback({ positionSec: live.segments[2]!.startSec, rate: 1 });
  await settle(clock, requestSegment(whole, live, live.segments[2]!).promise);
  await clock.advance(500);
  const ll = viewers.slice(0, 2);
  // Each viewer loads each part as its own player would, at the same time as the other (which
  // one is the part fetcher depends on the ranking, not on who asks first).
  for (const part of await parts.addParts(3)) {
    for (const viewer of ll)
      viewer.engine.setPlayback({ positionSec: part.startSec - 1.5, rate: 1 });
    const loads = ll.map((viewer) => viewer.engine.loadPart(parts.request(part)).promise);
    await settle(clock, Promise.all(loads));
  }
  return ll.map((viewer) => viewer.engine.stats.parts);
}

describe('parts in a swarm that mixes LL and whole-segment viewers', () => {
  it('an LL viewer elected: it takes each part from the CDN, the other from it', async () => {
    const [fetcher, waiter] = await partsWithElected(0);
    expect(fetcher).toMatchObject({ fromHttp: 4, fromP2p: 0 });
    expect(waiter).toMatchObject({ fromHttp: 0, fromP2p: 4 });
  });

  // The elected fetcher plays whole segments and never announces a part: the LL viewers count
  // only on peers that announced parts, so one of them (the next in the election's ranking)
  // takes the parts from the CDN and the other takes them from it.
  it('a whole-segment viewer elected: one LL viewer fetches the parts, the other takes them from it', async () => {
    const ll = await partsWithElected(2);
    const fromHttp = ll.map((stats) => stats.fromHttp).sort();
    const fromP2p = ll.map((stats) => stats.fromP2p).sort();
    expect(fromHttp).toEqual([0, 4]);
    expect(fromP2p).toEqual([0, 4]);
  });
});
