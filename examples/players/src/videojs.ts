import { fetchPlaybackInfo } from '@coral-cdn/hlsjs';
import Hls from 'hls.js';
import videojsModule from 'video.js';
import 'video.js/dist/video-js.css';
import { runPage } from './page.js';
import { P2P_HLS_CONFIG, type CoralStream } from './stream.js';
import { createCoralSourceHandler, type VideoJsSourceHandler } from './videojs-coral.js';

// video.js's types describe a CommonJS default (`.default`) under NodeNext; bundlers take its ES
// build, whose default export is the function itself.
const videojs = videojsModule as unknown as typeof videojsModule.default;

const streams = new Map<string, CoralStream>();
const handler = createCoralSourceHandler({
  Hls,
  streamFor: (src) => streams.get(src) ?? null,
  hlsConfig: P2P_HLS_CONFIG,
});
// First in line on the Html5 tech, ahead of Video.js's own VHS handler.
(
  videojs.getTech('Html5') as unknown as {
    registerSourceHandler(handler: VideoJsSourceHandler, index: number): void;
  }
).registerSourceHandler(handler, 0);

const video = document.querySelector('video')!;
void runPage('videojs', video, async (page) => {
  const player = videojs(video, { controls: true, muted: true, fluid: false });
  if (page.mode === 'native') {
    // hls.js cannot run: Video.js's next handler (VHS, or the browser's own HLS) plays it.
    const { manifestUrl } = await fetchPlaybackInfo(page.params.originUrl, page.params.streamId);
    page.state.watch(
      () => player.currentTime() ?? 0,
      () => null,
    );
    player.src({ src: manifestUrl, type: 'application/x-mpegURL' });
    return;
  }
  const stream = await page.openStream();
  streams.set(stream.playback.manifestUrl, stream);
  page.state.watch(
    () => player.currentTime() ?? 0,
    () => stream.integration.stats,
  );
  player.src({ src: stream.playback.manifestUrl, type: 'application/x-mpegURL' });
  window.addEventListener('pagehide', () => player.dispose());
  void player.play()?.catch(() => page.state.status('Press play to start'));
});
