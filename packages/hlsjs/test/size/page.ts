// What an integrator's page holds of Coral: the bundle-size check builds this with hls.js left
// out (it is the page's own), so the figure is what Coral adds to a page.
import Hls from 'hls.js';
import { createCoralHls, fetchPlaybackInfo } from '@coral-cdn/hlsjs';

const video = document.querySelector('video');
if (video) {
  const playback = await fetchPlaybackInfo(location.origin, 'demo');
  createCoralHls({ Hls, media: video, playback });
}
