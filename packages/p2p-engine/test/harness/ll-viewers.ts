import type { FakeClock } from './fake-clock.js';
import type { LivePartsFixture, PartFixture } from './part-fixture.js';
import type { LiveFixture } from './stream-fixture.js';
import { settle, type Viewer } from './swarm.js';

/**
 * Tell a viewer the live window as the hls.js adapter does after each blocking reload of
 * hls.js in low-latency mode: the playlist's own URL, without the `_HLS_msn`/`_HLS_part` the
 * reload asked for (`withoutDeliveryDirectives`), so the engine keeps one playlist. The
 * rendition becomes the active one (an ABR switch, when it was another).
 */
export function showLlPlaylist(viewer: Viewer, live: LiveFixture): void {
  viewer.engine.setPlaylist({
    rendition: live.rendition,
    playlistUrl: live.playlistUrl,
    live: true,
    segments: live.window.map(({ sequence, url, startSec, durationSec }) => ({
      sequence,
      url,
      startSec,
      durationSec,
    })),
  });
  viewer.engine.setActiveRendition(live.rendition);
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
