import { startFfmpeg, type FfmpegProcess } from '../../ffmpeg/run.js';
import type { Rendition } from '../../packaging/ladder.js';

/**
 * The LL-HLS encoder: one ffmpeg, one decode, every rendition encoded with a GOP of one
 * segment and muxed as fragmented MP4 (one fragment per part) to its own pipe (fd 3, 4, …).
 * Nothing touches the disk; the origin cuts the fragments into parts as they arrive.
 */
export interface LlEncodeOptions {
  readonly renditions: readonly Rendition[];
  readonly inputArgs: readonly string[];
  readonly videoInput: string;
  readonly audioInput: string | null;
  readonly fps: number;
  readonly segmentSec: number;
  /** ffmpeg's fragment duration: one part. */
  readonly fragmentSec: number;
  readonly x264Preset: string;
}

const kbps = (value: number) => `${Math.max(1, Math.round(value))}k`;

export function buildLlEncodeArgs(options: LlEncodeOptions): string[] {
  const video = options.renditions.filter((r) => r.video);
  if (video.length === 0) throw new Error('LL-HLS needs video renditions');
  const scale = (r: Rendition) =>
    r.video!.width > 0
      ? `scale=${r.video!.width}:${r.video!.height}:flags=bicubic,setsar=1`
      : `scale=-2:${r.video!.height}:flags=bicubic,setsar=1`;
  const graph =
    video.length === 1
      ? `[${options.videoInput}]${scale(video[0]!)}[v0]`
      : [
          `[${options.videoInput}]split=${video.length}${video.map((_r, i) => `[s${i}]`).join('')}`,
          ...video.map((r, i) => `[s${i}]${scale(r)}[v${i}]`),
        ].join(';');
  const gop = String(Math.max(1, Math.round(options.fps * options.segmentSec)));
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...options.inputArgs,
    '-filter_complex',
    graph,
  ];
  for (const [i, r] of video.entries()) {
    const rate = r.video!.bitrateKbps;
    args.push('-map', `[v${i}]`);
    if (options.audioInput !== null && r.audio) args.push('-map', options.audioInput);
    args.push(
      '-c:v',
      'libx264',
      '-preset',
      options.x264Preset,
      // No lookahead or B-frame delay: a frame leaves the encoder as soon as it is made.
      '-tune',
      'zerolatency',
      '-pix_fmt',
      'yuv420p',
      '-b:v',
      kbps(rate),
      '-maxrate:v',
      kbps(rate * 1.07),
      '-bufsize:v',
      kbps(rate * 1.5),
      '-g',
      gop,
      '-keyint_min',
      gop,
      '-sc_threshold',
      '0',
      '-force_key_frames',
      `expr:gte(t,n_forced*${options.segmentSec})`,
    );
    if (options.audioInput !== null && r.audio) {
      args.push('-c:a', 'aac', '-ac', '2', '-ar', '48000', '-b:a', kbps(r.audio.bitrateKbps));
    }
    args.push(
      '-f',
      'mp4',
      '-movflags',
      '+frag_keyframe+empty_moov+default_base_moof',
      '-frag_duration',
      String(Math.round(options.fragmentSec * 1_000_000)),
      '-flush_packets',
      '1',
      `pipe:${3 + i}`,
    );
  }
  return args;
}

/** The encoder: one fragmented-MP4 stream per video rendition in `outputs`, in option order. */
export type LlEncoderProcess = FfmpegProcess;

/** ffmpeg with `outputs` pipes after stderr (`pipe:3` onwards); SIGINT flushes the last fragment. */
export function startLlEncoder(
  binary: string,
  args: readonly string[],
  outputs: number,
): LlEncoderProcess {
  return startFfmpeg(binary, args, { outputPipes: outputs });
}
