import { join } from 'node:path';
import { safeFileInputArgs, type MediaInfo } from '../ffmpeg/probe.js';
import { planRenditions, type LadderRung, type Rendition } from './ladder.js';

/**
 * ffmpeg command lines for the ladder: one ffmpeg encodes every rendition (one decode, one
 * split), with keyframes forced on the same timestamps in every rendition (aligned segments),
 * and its HLS muxer writes CMAF/fMP4 segments per rendition folder:
 *   <out>/<rendition>/<playlist>, init_<n>.mp4, seg_<sequence>.m4s
 */
export interface EncodeOptions {
  readonly renditions: readonly Rendition[];
  /** ffmpeg input options, `-i` included (one or two inputs). */
  readonly inputArgs: readonly string[];
  /** Stream specifiers of the source's video and audio, e.g. `0:v:0`, `1:a:0`. */
  readonly videoInput: string | null;
  readonly audioInput: string | null;
  /** Frame rate of the source, for the GOP size; keyframes are also forced by time. */
  readonly fps: number;
  readonly segmentSec: number;
  readonly x264Preset: string;
  readonly outDir: string;
}

export interface VodOutput {
  readonly kind: 'vod';
}

export interface LiveOutput {
  readonly kind: 'live';
  readonly windowSegments: number;
  /** First media sequence number (continues across restarts). */
  readonly startNumber: number;
}

/** The playlist ffmpeg writes in each rendition folder, and its master playlist. */
export const FFMPEG_VOD_PLAYLIST = 'index.m3u8';
export const FFMPEG_LIVE_PLAYLIST = 'ffmpeg.m3u8';
export const FFMPEG_MASTER = 'ffmpeg-master.m3u8';

function kbps(value: number): string {
  return `${Math.max(1, Math.round(value))}k`;
}

function filterGraph(renditions: readonly Rendition[], videoInput: string): string {
  const video = renditions.filter((r) => r.video);
  const scale = (r: Rendition) =>
    r.video!.width > 0
      ? `scale=${r.video!.width}:${r.video!.height}:flags=bicubic,setsar=1`
      : `scale=-2:${r.video!.height}:flags=bicubic,setsar=1`;
  if (video.length === 1) return `[${videoInput}]${scale(video[0]!)}[v0]`;
  const splits = video.map((_r, i) => `[s${i}]`).join('');
  const chains = video.map((r, i) => `[s${i}]${scale(r)}[v${i}]`);
  return [`[${videoInput}]split=${video.length}${splits}`, ...chains].join(';');
}

export function buildEncodeArgs(options: EncodeOptions, output: VodOutput | LiveOutput): string[] {
  const { renditions, videoInput, audioInput } = options;
  const withVideo = videoInput !== null && renditions.some((r) => r.video);
  const withAudio = audioInput !== null && renditions.some((r) => r.audio);
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...options.inputArgs];
  if (withVideo) args.push('-filter_complex', filterGraph(renditions, videoInput));
  if (!withVideo && !withAudio) throw new Error('nothing to encode: no video or audio rendition');
  // Output stream indices per type (`v:<n>`, `a:<n>`) in the order the maps create them.
  const videoIndex = new Map<Rendition, number>();
  const audioIndex = new Map<Rendition, number>();
  for (const r of renditions) {
    if (r.video && withVideo) {
      videoIndex.set(r, videoIndex.size);
      args.push('-map', `[v${videoIndex.get(r)}]`);
    }
    if (r.audio && withAudio) {
      audioIndex.set(r, audioIndex.size);
      args.push('-map', audioInput);
    }
  }
  if (withVideo) {
    const gop = String(Math.max(1, Math.round(options.fps * options.segmentSec)));
    args.push('-c:v', 'libx264', '-preset', options.x264Preset, '-pix_fmt', 'yuv420p');
    for (const [r, i] of videoIndex) {
      const rate = r.video!.bitrateKbps;
      args.push(
        `-b:v:${i}`,
        kbps(rate),
        `-maxrate:v:${i}`,
        kbps(rate * 1.07),
        `-bufsize:v:${i}`,
        kbps(rate * 1.5),
      );
    }
    args.push(
      '-g',
      gop,
      '-keyint_min',
      gop,
      '-sc_threshold',
      '0',
      '-force_key_frames',
      `expr:gte(t,n_forced*${options.segmentSec})`,
    );
  }
  if (withAudio) {
    args.push('-c:a', 'aac', '-ac', '2', '-ar', '48000');
    for (const [r, i] of audioIndex) args.push(`-b:a:${i}`, kbps(r.audio!.bitrateKbps));
  }
  const streamMap = renditions
    .map((r) => {
      const parts = [];
      if (videoIndex.has(r)) parts.push(`v:${videoIndex.get(r)}`);
      if (audioIndex.has(r)) parts.push(`a:${audioIndex.get(r)}`);
      return [...parts, `name:${r.name}`].join(',');
    })
    .join(' ');
  const playlist = output.kind === 'vod' ? FFMPEG_VOD_PLAYLIST : FFMPEG_LIVE_PLAYLIST;
  args.push('-f', 'hls', '-hls_time', String(options.segmentSec), '-hls_segment_type', 'fmp4');
  if (output.kind === 'vod') {
    // temp_file: a segment appears under its name only once complete (hashed during the job).
    args.push('-hls_playlist_type', 'vod', '-hls_flags', 'independent_segments+temp_file');
  } else {
    args.push(
      '-hls_list_size',
      String(output.windowSegments),
      '-hls_flags',
      'delete_segments+independent_segments+program_date_time+temp_file',
      '-start_number',
      String(output.startNumber),
    );
  }
  args.push(
    '-hls_fmp4_init_filename',
    'init.mp4',
    '-hls_segment_filename',
    join(options.outDir, '%v', 'seg_%05d.m4s'),
    '-master_pl_name',
    FFMPEG_MASTER,
    '-var_stream_map',
    streamMap,
    '-progress',
    'pipe:1',
    '-nostats',
    join(options.outDir, '%v', playlist),
  );
  return args;
}

/** The VOD command for a probed file: what the origin runs, and what `coral-origin plan` prints. */
export function planVodCommand(options: {
  media: MediaInfo;
  sourcePath: string;
  outDir: string;
  ladder: readonly LadderRung[];
  x264Preset: string;
  segmentSec: number;
}): { renditions: Rendition[]; args: string[] } {
  const renditions = planRenditions(options.media, options.ladder);
  const args = buildEncodeArgs(
    {
      renditions,
      inputArgs: safeFileInputArgs(options.sourcePath),
      videoInput: options.media.video ? '0:v:0' : null,
      audioInput: options.media.audio ? '0:a:0' : null,
      fps: options.media.video?.fps ?? 30,
      segmentSec: options.segmentSec,
      x264Preset: options.x264Preset,
      outDir: options.outDir,
    },
    { kind: 'vod' },
  );
  return { renditions, args };
}
