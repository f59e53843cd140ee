import { execFile } from 'node:child_process';
import { z } from 'zod';
import { unprocessable } from '../errors.js';

/**
 * What the packager needs to know about a source, from ffprobe. Inputs are confined to plain
 * media containers read from a local file: a playlist or concat file smuggled in as an
 * "upload" could otherwise make ffmpeg read other files or fetch URLs.
 */
export const INPUT_FORMAT_WHITELIST =
  'mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mpeg,mp3,wav,ogg,aac,flac,asf,h264,hevc,ivf,mxf';

/** ffmpeg/ffprobe options that go before `-i` for any file input. */
export function safeFileInputArgs(path: string): string[] {
  return [
    '-format_whitelist',
    INPUT_FORMAT_WHITELIST,
    '-protocol_whitelist',
    'file',
    '-i',
    `file:${path}`,
  ];
}

export interface MediaInfo {
  readonly durationSec: number;
  readonly sizeBytes: number;
  readonly formatName: string;
  /** Display size (rotation and sample aspect ratio applied). */
  readonly video?: { codec: string; width: number; height: number; fps: number };
  readonly audio?: { codec: string; channels: number; sampleRate: number };
}

const numeric = z.union([z.string(), z.number()]).optional();

const ffprobeSchema = z.object({
  streams: z
    .array(
      z.object({
        codec_type: z.string().optional(),
        codec_name: z.string().optional(),
        width: z.number().optional(),
        height: z.number().optional(),
        sample_aspect_ratio: z.string().optional(),
        r_frame_rate: z.string().optional(),
        avg_frame_rate: z.string().optional(),
        duration: numeric,
        bit_rate: numeric,
        channels: z.number().optional(),
        sample_rate: numeric,
        disposition: z.object({ attached_pic: z.number().optional() }).partial().optional(),
        tags: z.record(z.string(), z.string()).optional(),
        side_data_list: z.array(z.object({ rotation: z.number().optional() }).loose()).optional(),
      }),
    )
    .default([]),
  format: z
    .object({ format_name: z.string().optional(), duration: numeric, size: numeric })
    .default({}),
});

type ProbedStream = z.infer<typeof ffprobeSchema>['streams'][number];

function toNumber(value: string | number | undefined): number {
  return value === undefined ? Number.NaN : Number(value);
}

function parseRate(text: string | undefined): number {
  const [num, den] = (text ?? '').split('/').map(Number);
  return num !== undefined && den !== undefined && den > 0 && num > 0 ? num / den : Number.NaN;
}

function rotation(stream: ProbedStream): number {
  const fromSideData = stream.side_data_list?.find((d) => d.rotation !== undefined)?.rotation;
  const fromTag = toNumber(stream.tags?.rotate);
  const degrees = fromSideData ?? (Number.isFinite(fromTag) ? fromTag : 0);
  return ((Math.round(degrees) % 360) + 360) % 360;
}

function displaySize(stream: ProbedStream): { width: number; height: number } {
  const width = stream.width ?? 0;
  const height = stream.height ?? 0;
  const [sarNum, sarDen] = (stream.sample_aspect_ratio ?? '1:1').split(':').map(Number);
  const sar = sarNum && sarDen ? sarNum / sarDen : 1;
  const displayWidth = Math.round(width * sar);
  return rotation(stream) % 180 === 90
    ? { width: height, height: displayWidth }
    : { width: displayWidth, height };
}

/** Turn ffprobe's JSON into MediaInfo, or a 422 that names what is wrong with the file. */
export function interpretProbe(json: unknown): MediaInfo {
  const parsed = ffprobeSchema.safeParse(json);
  if (!parsed.success) throw unprocessable('unreadable_media', 'ffprobe output was not understood');
  const { streams, format } = parsed.data;
  const videoStream = streams.find(
    (s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1 && (s.width ?? 0) > 0,
  );
  const audioStream = streams.find((s) => s.codec_type === 'audio');
  if (!videoStream && !audioStream) {
    throw unprocessable('no_media_streams', 'the file has no video or audio stream');
  }
  const durationSec = toNumber(format.duration);
  if (!Number.isFinite(durationSec) || durationSec < 0.1) {
    throw unprocessable(
      'not_a_video',
      'the file has no playable duration (a still image or an empty stream?)',
    );
  }
  const sizeBytes = toNumber(format.size);
  // A file cut short keeps its header: its streams then claim more bytes than the file holds.
  const claimedBytes = [videoStream, audioStream].reduce((sum, stream) => {
    if (!stream) return sum;
    const bitsPerSec = toNumber(stream.bit_rate);
    const seconds = toNumber(stream.duration);
    return Number.isFinite(bitsPerSec) && Number.isFinite(seconds)
      ? sum + (bitsPerSec * seconds) / 8
      : sum;
  }, 0);
  if (Number.isFinite(sizeBytes) && claimedBytes > sizeBytes * 1.02 + 4096) {
    throw unprocessable(
      'truncated_media',
      `the file is truncated: its streams index ${Math.round(claimedBytes)} bytes of media but the file has ${sizeBytes}`,
    );
  }
  const info: {
    -readonly [K in keyof MediaInfo]: MediaInfo[K];
  } = {
    durationSec,
    sizeBytes: Number.isFinite(sizeBytes) ? sizeBytes : 0,
    formatName: format.format_name ?? 'unknown',
  };
  if (videoStream) {
    const { width, height } = displaySize(videoStream);
    if (width < 2 || height < 2) throw unprocessable('bad_video', 'the video has no picture size');
    const fps = parseRate(videoStream.avg_frame_rate);
    const fallbackFps = parseRate(videoStream.r_frame_rate);
    info.video = {
      codec: videoStream.codec_name ?? 'unknown',
      width,
      height,
      fps:
        Number.isFinite(fps) && fps <= 240 ? fps : Number.isFinite(fallbackFps) ? fallbackFps : 30,
    };
  }
  if (audioStream) {
    info.audio = {
      codec: audioStream.codec_name ?? 'unknown',
      channels: audioStream.channels ?? 2,
      sampleRate: toNumber(audioStream.sample_rate) || 48_000,
    };
  }
  return info;
}

/** Run ffprobe on a local file. Unreadable input → OriginError 422. */
export function probeFile(ffprobe: string, path: string, timeoutMs = 30_000): Promise<MediaInfo> {
  const args = [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    ...safeFileInputArgs(path),
  ];
  return new Promise((resolve, reject) => {
    execFile(
      ffprobe,
      args,
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) {
          const reason =
            stderr
              .trim()
              .split('\n')
              .at(-1)
              ?.replace(/^file:\S+: /, '') ?? '';
          reject(
            unprocessable(
              'unreadable_media',
              `not a video or audio file ffmpeg can read${reason ? `: ${reason}` : ''}`,
            ),
          );
          return;
        }
        try {
          resolve(interpretProbe(JSON.parse(stdout)));
        } catch (problem) {
          reject(problem instanceof Error ? problem : new Error(String(problem)));
        }
      },
    );
  });
}
