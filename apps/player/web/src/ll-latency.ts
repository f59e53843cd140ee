/** LL-HLS: the fastest rate hls.js may play at to catch up with its target latency. */
export const LL_MAX_CATCH_UP_RATE = 1.25;

/** The hls.js settings that keep an LL-HLS viewer near the live edge. */
export interface LlLatencySettings {
  readonly maxLiveSyncPlaybackRate: number;
  readonly liveMaxLatencyDurationSec: number;
}

/**
 * hls.js (1.6) speeds playback up only while the latency is below
 * target + min(maxLatency, target + targetDuration), its target being PART-HOLD-BACK, and jumps
 * to the edge only beyond maxLatency. A maxLatency above 2 × target + targetDuration leaves a
 * band where neither happens and a viewer who started late stays late for good (seen: 6.2 s
 * behind a 1.6 s target, forever). At exactly that value every latency is either caught up
 * or jumped.
 */
export function llLatencySettings(
  partHoldBackSec: number,
  targetDurationSec: number,
): LlLatencySettings {
  return {
    maxLiveSyncPlaybackRate: LL_MAX_CATCH_UP_RATE,
    liveMaxLatencyDurationSec: 2 * partHoldBackSec + targetDurationSec,
  };
}
