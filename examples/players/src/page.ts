import { fetchPlaybackInfo } from '@coral-cdn/hlsjs';
import Hls from 'hls.js';
import { PageState } from './page-api.js';
import { choosePlaybackMode, detectCapabilities, type PlaybackMode } from './playback-mode.js';
import { openStream, readParams, type CoralStream, type PageParams } from './stream.js';

/** What every example page does around its player: parameters, stream, `window.coral`, errors. */
export interface ExamplePage {
  readonly state: PageState;
  readonly params: PageParams;
  readonly mode: PlaybackMode;
  /** Open the Coral stream (engine + integration) for `params`, recording its deliveries. */
  openStream(): Promise<CoralStream>;
}

export async function runPage(
  player: string,
  probe: HTMLVideoElement,
  setup: (page: ExamplePage) => Promise<void>,
): Promise<void> {
  const state = new PageState(player);
  try {
    const params = readParams(location.search, location.origin);
    const mode = choosePlaybackMode(detectCapabilities(Hls.isSupported(), probe));
    state.api.mode = mode;
    state.api.p2pEnabled = params.p2p && (mode === 'mse' || mode === 'mms');
    if (mode === 'none')
      throw new Error(
        'this browser cannot play HLS: it has neither Media Source Extensions, ' +
          'ManagedMediaSource nor native HLS playback',
      );
    await setup({
      state,
      params,
      mode,
      openStream: () =>
        openStream(
          { ...params, p2p: state.api.p2pEnabled },
          // Every example page plays as it loads (autoplay, or play() on load): its start-up
          // counts from navigation start, as the reference page's and the benchmark's do.
          { onSegment: state.recordSegment, log: state.log, startupOriginMs: 0 },
        ),
    });
    state.api.ready = true;
    state.status(
      `${player}: “${params.streamId}”, ${mode}, P2P ${state.api.p2pEnabled ? 'on' : 'off'}`,
    );
  } catch (error) {
    state.fail(error);
  }
}

/**
 * No hls.js here (no MSE, no ManagedMediaSource) but the browser plays HLS itself: plain
 * playback from the CDN, without the engine (the browser's own player cannot be handed segments).
 */
export async function playNatively(page: ExamplePage, video: HTMLVideoElement): Promise<void> {
  const playback = await fetchPlaybackInfo(page.params.originUrl, page.params.streamId);
  page.state.watch(
    () => video.currentTime,
    () => null,
  );
  video.src = playback.manifestUrl;
  await video.play().catch(() => page.state.status('Press play to start'));
}
