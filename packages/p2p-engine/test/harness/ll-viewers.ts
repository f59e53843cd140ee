import { FakeClock } from './fake-clock.js';
import { LivePartsFixture, type PartFixture } from './part-fixture.js';
import { LiveFixture } from './stream-fixture.js';
import { settle, showPlaylist, SimSwarm, type Viewer } from './swarm.js';

/**
 * Tell a viewer the live window as the hls.js adapter does after each blocking reload of
 * hls.js in low-latency mode: the playlist's own URL, without the `_HLS_msn`/`_HLS_part` the
 * reload asked for (`withoutDeliveryDirectives`), so the engine keeps one playlist. The
 * rendition becomes the active one (an ABR switch, when it was another).
 */
export function showLlPlaylist(viewer: Viewer, live: LiveFixture): void {
  showPlaylist(
    viewer,
    { playlistUrl: live.playlistUrl, rendition: live.rendition, segments: live.window },
    true,
  );
}

/** A 240p live channel with segments 0-2 out and LL parts beside it, and a swarm on it. */
export async function llChannel(segmentBytes = 60_000) {
  const clock = new FakeClock();
  const live = new LiveFixture('live', '240p', segmentBytes);
  for (let i = 0; i < 3; i++) await live.publish();
  const parts = new LivePartsFixture(live);
  const swarm = new SimSwarm(clock, parts.content, 'live');
  return { clock, live, parts, swarm };
}

/** A viewer of the LL playlist past its first frame, joined at the tracker. */
export async function startedLlViewer(
  clock: FakeClock,
  swarm: SimSwarm,
  live: LiveFixture,
): Promise<Viewer> {
  const viewer = swarm.addViewer();
  showLlPlaylist(viewer, live);
  viewer.engine.reportStartup(0);
  await clock.advanceUntil(() => viewer.engine.peerId !== null, 5_000);
  return viewer;
}

/** Load parts as hls.js does, the playhead three part targets behind each. */
export async function loadParts(
  clock: FakeClock,
  viewers: readonly Viewer[],
  parts: LivePartsFixture,
  list: readonly PartFixture[],
): Promise<void> {
  for (const part of list) {
    for (const viewer of viewers)
      viewer.engine.setPlayback({ positionSec: part.startSec - 1.5, rate: 1 });
    // The fetcher first, as hls.js's preload hint makes it in practice.
    for (const viewer of viewers)
      await settle(clock, viewer.engine.loadPart(parts.request(part)).promise);
  }
}
