import 'media-chrome';
import type { HlsVideoElement } from 'hls-video-element';
import 'hls-video-element';
import { playNatively, runPage } from './page.js';
import { P2P_HLS_CONFIG } from './stream.js';

// Media Chrome's <hls-video> makes its own hls.js instance (`element.api`) from `element.config`
// when `src` is set: Coral's loaders go into that config, and the instance is attached to the
// engine right after it is made, before it has loaded anything.
const element = document.querySelector<HlsVideoElement>('hls-video')!;
void runPage('media-chrome', document.createElement('video'), async (page) => {
  if (page.mode === 'native') {
    // <hls-video> plays natively by itself when hls.js is unsupported; only the stats differ.
    return playNatively(page, element);
  }
  const stream = await page.openStream();
  element.config = { ...(stream.engine ? P2P_HLS_CONFIG : {}), ...stream.integration.hlsConfig };
  element.src = stream.playback.manifestUrl;
  // hls-video-element 1.5 makes the instance one microtask after `src` is set (its load() awaits
  // once first); wait for it without giving the network a turn.
  for (let turn = 0; turn < 8 && !element.api; turn++) await Promise.resolve();
  if (!element.api) throw new Error('<hls-video> made no hls.js instance: its load() changed?');
  stream.attach(element.api);
  page.state.watch(
    () => element.currentTime,
    () => stream.integration.stats,
  );
  window.addEventListener('pagehide', () => stream.destroy());
  void element.play().catch(() => page.state.status('Press play to start'));
});
