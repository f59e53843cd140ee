import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ClipOptions {
  path: string;
  durationSec: number;
  width?: number;
  height?: number;
  fps?: number;
  video?: boolean;
  audio?: boolean;
}

/** Encode a test clip (test pattern + tone) with the real ffmpeg, fast. */
export function generateClip(options: ClipOptions): string {
  const { width = 640, height = 360, fps = 30, video = true, audio = true } = options;
  const args = ['-hide_banner', '-loglevel', 'error', '-y'];
  if (video) args.push('-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`);
  if (audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  args.push('-t', String(options.durationSec));
  if (video)
    args.push(
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-g',
      String(fps * 2),
    );
  if (audio) args.push('-c:a', 'aac', '-b:a', '64k');
  args.push(options.path);
  const result = spawnSync(process.env.FFMPEG_PATH ?? 'ffmpeg', args, { encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`ffmpeg failed to generate ${options.path}: ${result.stderr}`);
  return options.path;
}

export interface TempDir {
  readonly path: string;
  remove(): void;
}

export function makeTempDir(prefix = 'coral-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
