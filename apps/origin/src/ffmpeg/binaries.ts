import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, findOnPath, isExecutable } from '@coral-cdn/server-kit';

export interface FfmpegBinaries {
  readonly ffmpeg: string;
  readonly ffprobe: string;
  /** Where ffmpeg came from, for the start-up log. */
  readonly source: 'FFMPEG_PATH' | 'ffmpeg-static' | 'PATH';
}

const INSTALL_HINT =
  'install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg) or set FFMPEG_PATH and FFPROBE_PATH';

/** ffmpeg-static's binary, if that optional dependency installed one. */
async function ffmpegStatic(): Promise<string | null> {
  const specifier = 'ffmpeg-static';
  try {
    const module = (await import(specifier)) as { default?: unknown };
    const path = module.default;
    return typeof path === 'string' && isExecutable(path) ? path : null;
  } catch {
    return null;
  }
}

/**
 * Resolve ffmpeg as docs/ARCHITECTURE.md says: FFMPEG_PATH, then ffmpeg-static's binary, then `ffmpeg` on
 * PATH, else a ConfigError that says how to install it. ffprobe: FFPROBE_PATH, then beside
 * ffmpeg, then on PATH.
 */
export async function resolveFfmpeg(options: {
  ffmpegPath?: string | undefined;
  ffprobePath?: string | undefined;
  pathEnv?: string | undefined;
}): Promise<FfmpegBinaries> {
  let ffmpeg: string | null = null;
  let source: FfmpegBinaries['source'] = 'PATH';
  if (options.ffmpegPath !== undefined) {
    if (!isExecutable(options.ffmpegPath)) {
      throw new ConfigError('FFMPEG_PATH', `${options.ffmpegPath} is not an executable file`);
    }
    ffmpeg = options.ffmpegPath;
    source = 'FFMPEG_PATH';
  } else {
    ffmpeg = await ffmpegStatic();
    if (ffmpeg !== null) source = 'ffmpeg-static';
    else ffmpeg = findOnPath('ffmpeg', options.pathEnv);
  }
  if (ffmpeg === null) throw new ConfigError('FFMPEG_PATH', `ffmpeg not found: ${INSTALL_HINT}`);

  let ffprobe: string | null = null;
  if (options.ffprobePath !== undefined) {
    if (!isExecutable(options.ffprobePath)) {
      throw new ConfigError('FFPROBE_PATH', `${options.ffprobePath} is not an executable file`);
    }
    ffprobe = options.ffprobePath;
  } else {
    const sibling = join(dirname(ffmpeg), 'ffprobe');
    ffprobe =
      existsSync(sibling) && isExecutable(sibling)
        ? sibling
        : findOnPath('ffprobe', options.pathEnv);
  }
  if (ffprobe === null) {
    throw new ConfigError('FFPROBE_PATH', `ffprobe not found: ${INSTALL_HINT}`);
  }
  return { ffmpeg, ffprobe, source };
}
