import { fetchPlaybackInfo } from '@coral-cdn/hlsjs';
import Hls from 'hls.js';
import { isHLSProvider } from 'vidstack';
import type { MediaPlayerElement } from 'vidstack/elements';
import 'vidstack/player';
import 'vidstack/player/layouts/default';
import 'vidstack/player/ui';
import 'vidstack/player/styles/default/theme.css';
import 'vidstack/player/styles/default/layouts/video.css';
import { runPage } from './page.js';
import { P2P_HLS_CONFIG } from './stream.js';

// Vidstack's HLS provider makes its hls.js instance from `provider.library` (the class: without
// it Vidstack loads hls.js from a public CDN) and `provider.config`, and announces it with
// `hls-instance` before it attaches the media or loads the playlist: Coral attaches there.
const player = document.querySelector<MediaPlayerElement>('media-player')!;
void runPage('vidstack', document.createElement('video'), async (page) => {
  // Where hls.js cannot run, Vidstack picks its native video provider by itself: plain playback.
  const stream = page.mode === 'native' ? null : await page.openStream();
  player.addEventListener('provider-change', (event) => {
    const provider = event.detail;
    if (!stream || !isHLSProvider(provider)) return;
    provider.library = Hls;
    provider.config = { ...(stream.engine ? P2P_HLS_CONFIG : {}), ...stream.integration.hlsConfig };
  });
  player.addEventListener('hls-instance', (event) => stream?.attach(event.detail));
  page.state.watch(
    () => player.currentTime,
    () => stream?.integration.stats ?? null,
  );
  window.addEventListener('pagehide', () => stream?.destroy());
  const manifestUrl =
    stream?.playback.manifestUrl ??
    (await fetchPlaybackInfo(page.params.originUrl, page.params.streamId)).manifestUrl;
  // `autoplay` on <media-player> (muted): Vidstack refuses play() before it can play.
  player.src = { src: manifestUrl, type: 'application/x-mpegurl' };
});
