import Hls from 'hls.js';
import Plyr from 'plyr';
import 'plyr/dist/plyr.css';
import { playNatively, runPage } from './page.js';
import { P2P_HLS_CONFIG } from './stream.js';

// Plyr is a skin over a <video>: hls.js (with Coral's loaders) feeds the element, Plyr draws
// the controls. Plyr never sees the stream, so nothing of it changes.
const video = document.querySelector('video')!;
void runPage('plyr', video, async (page) => {
  // Plyr's icons from this page's own copy: by default Plyr fetches its sprite from its CDN.
  new Plyr(video, {
    controls: ['play', 'progress', 'current-time', 'mute', 'fullscreen'],
    iconUrl: 'plyr.svg',
  });
  if (page.mode === 'native') return playNatively(page, video);
  const stream = await page.openStream();
  const hls = new Hls({
    ...(stream.engine ? P2P_HLS_CONFIG : {}),
    ...stream.integration.hlsConfig,
  });
  stream.attach(hls);
  page.state.watch(
    () => video.currentTime,
    () => stream.integration.stats,
  );
  hls.attachMedia(video);
  hls.loadSource(stream.playback.manifestUrl);
  window.addEventListener('pagehide', () => {
    hls.destroy();
    stream.destroy();
  });
  void video.play().catch(() => page.state.status('Press play to start'));
});
