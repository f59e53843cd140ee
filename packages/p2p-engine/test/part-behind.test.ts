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

const PARTS_PER_SEGMENT = 4;
const PART_BYTES = 30_000;
const PART_MS = 500;

describe('whole segments played as parts, for viewers further behind', () => {
  it('a viewer playing whole segments three behind the edge takes each new one from the LL viewers', async () => {
    const clock = new FakeClock();
    const live = new LiveFixture('live', '240p', PARTS_PER_SEGMENT * PART_BYTES);
    for (let i = 0; i < 3; i++) await live.publish();
    const parts = new LivePartsFixture(live, PARTS_PER_SEGMENT, PART_BYTES);
    swarm = new SimSwarm(clock, parts.content, 'live');
    // The first LL viewer is elected to fetch every segment (and so its parts).
    swarm.tracker.electionFetchers = (_swarmId, members) => [members[0]!];
    const ll = [swarm.addViewer(), swarm.addViewer()];
    for (const viewer of ll) {
      showLlPlaylist(viewer, live);
      viewer.engine.reportStartup(0);
    }
    await clock.advanceUntil(() => ll.every((viewer) => viewer.engine.stats.peers === 1), 10_000);
    // hls.js not in low-latency mode (or the headless node peer): whole segments, three behind.
    const behind = swarm.addViewer();
    const player = swarm.play(behind, { playlistUrl: live.playlistUrl, liveSyncSegments: 3 });
    await clock.advanceUntil(() => player.stats.startupMs !== null, 10_000);

    // Segments 3 to 8 are published part by part in real time; the LL viewers play the parts.
    const startMs = clock.now();
    for (let sequence = 3; sequence <= 8; sequence++) {
      const segmentParts = await parts.addParts(sequence);
      for (const [index, part] of segmentParts.entries()) {
        await loadParts(clock, ll, parts, [part]);
        const dueMs = startMs + ((sequence - 3) * PARTS_PER_SEGMENT + index + 1) * PART_MS;
        if (clock.now() < dueMs) await clock.advance(dueMs - clock.now());
      }
      await parts.completeSegment();
      for (const viewer of ll) showLlPlaylist(viewer, live);
    }
    // The last one is made whole when the next segment's first part brings its entry.
    await loadParts(clock, ll, parts, (await parts.addParts(9)).slice(0, 1));
    await clock.advanceUntil(() => player.stats.segmentsLoaded >= 8, 20_000);

    const newSegments = live.segments.filter((s) => s.sequence >= 3 && s.sequence <= 7);
    const cdnRequests = (url: string) => behind.cdn.requests.filter((r) => r.url === url).length;
    // None of the segments played as parts came to it from the CDN ...
    expect(newSegments.map((s) => cdnRequests(s.url))).toEqual([0, 0, 0, 0, 0]);
    // ... nor to anyone else: the LL viewers took parts only.
    for (const viewer of ll)
      expect(viewer.cdn.segmentRequests().filter((r) => !r.url.includes('/part_'))).toEqual([]);
    expect(behind.engine.stats.segmentsFromP2p).toBeGreaterThanOrEqual(newSegments.length);
    expect(behind.engine.stats.integrityFailures).toBe(0);
    expect(player.stats.stalls).toBe(0);
  });
});
