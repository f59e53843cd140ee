import type { OriginConfig } from '../config.js';
import type { FfmpegBinaries } from '../ffmpeg/binaries.js';
import { probeFile, safeFileInputArgs } from '../ffmpeg/probe.js';
import { planRenditions, type Rendition } from '../packaging/ladder.js';

/** What ffmpeg reads for a live channel, and the ladder planned from it. */
export interface SourcePlan {
  renditions: Rendition[];
  inputArgs: string[];
  /** ffmpeg's stream specifiers, null where the source has no such stream. */
  videoInput: string | null;
  audioInput: string | null;
  fps: number;
}

const SINE_AUDIO = 'sine=frequency=440:sample_rate=48000';

/** ffmpeg's test pattern and a 440 Hz tone, at real-time speed. */
export function testsrcPlan(
  config: Pick<OriginConfig, 'LADDER' | 'LIVE_TESTSRC_SIZE' | 'LIVE_TESTSRC_FPS'>,
): SourcePlan & { videoInput: string } {
  const { width, height } = config.LIVE_TESTSRC_SIZE;
  const fps = config.LIVE_TESTSRC_FPS;
  return {
    renditions: planRenditions(
      {
        durationSec: 0,
        sizeBytes: 0,
        formatName: 'lavfi',
        video: { codec: 'rawvideo', width, height, fps },
        audio: { codec: 'pcm', channels: 1, sampleRate: 48_000 },
      },
      config.LADDER,
    ),
    inputArgs: [
      '-re',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${width}x${height}:rate=${fps}`,
      '-re',
      '-f',
      'lavfi',
      '-i',
      SINE_AUDIO,
    ],
    videoInput: '0:v:0',
    audioInput: '1:a:0',
    fps,
  };
}

/** A file in the sources folder, looped at real-time speed; its ladder from its probed size. */
export async function filePlan(
  binaries: FfmpegBinaries,
  config: Pick<OriginConfig, 'LADDER'>,
  path: string,
): Promise<SourcePlan> {
  const media = await probeFile(binaries.ffprobe, path);
  return {
    renditions: planRenditions(media, config.LADDER),
    inputArgs: ['-re', '-stream_loop', '-1', ...safeFileInputArgs(path)],
    videoInput: media.video ? '0:v:0' : null,
    audioInput: media.audio ? '0:a:0' : null,
    fps: media.video?.fps ?? 30,
  };
}
