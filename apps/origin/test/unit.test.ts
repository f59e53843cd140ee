import { ConfigError, parseConfig } from '@coral-cdn/server-kit';
import { describe, expect, it } from 'vitest';
import { originConfigSchema, resolveConfig } from '../src/config.js';
import { interpretProbe, type MediaInfo } from '../src/ffmpeg/probe.js';
import { ProgressParser, type FfmpegProgress } from '../src/ffmpeg/progress.js';
import { parseMediaPlaylist, renderMediaPlaylist } from '../src/hls/playlist.js';
import { etagMatches, parseRange } from '../src/http/range.js';
import { LiveWindow } from '../src/live/window.js';
import { buildEncodeArgs } from '../src/packaging/command.js';
import { parseLadder, planRenditions } from '../src/packaging/ladder.js';

const config = (env: Record<string, string>) =>
  resolveConfig(parseConfig(originConfigSchema, { env }), '/srv');

function configError(env: Record<string, string>): ConfigError {
  try {
    parseConfig(originConfigSchema, { env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('has working defaults', () => {
    const c = config({});
    expect(c.PORT).toBe(8080);
    expect(c.DATA_DIR).toBe('/srv/.coral-data/origin');
    expect(c.PUBLIC_URL).toBe('http://127.0.0.1:8080');
    expect(c.EDGES).toEqual([{ region: 'local', url: 'http://127.0.0.1:8081' }]);
    expect(c.DEFAULT_REGION).toBe('local');
    expect(c.TRACKER_URLS).toEqual(['ws://127.0.0.1:8090/ws']);
    expect(c.LADDER.map((r) => r.size)).toEqual([720, 480, 240]);
    expect(c.LIVE_SOURCES_DIR).toBe('/srv/.coral-data/origin/sources');
  });

  it('parses edges, trackers and the ladder', () => {
    const c = config({
      EDGES: 'eu-west=http://127.0.0.1:8081/, us-east=http://127.0.0.1:8082',
      DEFAULT_REGION: 'us-east',
      TRACKER_URLS: 'ws://a:1/ws,wss://b/ws',
      LADDER: '1080p:5M:192k,360:800k:96k',
    });
    expect(c.EDGES).toEqual([
      { region: 'eu-west', url: 'http://127.0.0.1:8081' },
      { region: 'us-east', url: 'http://127.0.0.1:8082' },
    ]);
    expect(c.DEFAULT_REGION).toBe('us-east');
    expect(c.TRACKER_URLS).toEqual(['ws://a:1/ws', 'wss://b/ws']);
    expect(c.LADDER).toEqual([
      { size: 1080, videoKbps: 5000, audioKbps: 192 },
      { size: 360, videoKbps: 800, audioKbps: 96 },
    ]);
  });

  it('names the variable of a bad value', () => {
    expect(configError({ EDGES: 'eu-west' }).variable).toBe('EDGES');
    expect(configError({ EDGES: 'EU=http://x' }).variable).toBe('EDGES');
    expect(configError({ DEFAULT_REGION: 'mars' }).variable).toBe('DEFAULT_REGION');
    expect(configError({ TRACKER_URLS: 'http://x/ws' }).variable).toBe('TRACKER_URLS');
    expect(configError({ LADDER: '721:1k:1k' }).variable).toBe('LADDER');
    expect(configError({ X264_PRESET: 'warp' }).variable).toBe('X264_PRESET');
    expect(configError({ MAX_UPLOAD_BYTES: '-1' }).variable).toBe('MAX_UPLOAD_BYTES');
  });
});

const source = (width: number, height: number, audio = true): MediaInfo => ({
  durationSec: 10,
  sizeBytes: 1,
  formatName: 'mov',
  video: { codec: 'h264', width, height, fps: 30 },
  ...(audio ? { audio: { codec: 'aac', channels: 2, sampleRate: 48_000 } } : {}),
});

describe('ladder', () => {
  const ladder = parseLadder('720:2800k:128k,480:1400k:96k,240:400k:64k');
  if (!ladder.ok) throw new Error(ladder.error);

  it('makes the full ladder from a 1080p source', () => {
    const renditions = planRenditions(source(1920, 1080), ladder.value);
    expect(renditions.map((r) => [r.name, r.video?.width, r.video?.height])).toEqual([
      ['720p', 1280, 720],
      ['480p', 854, 480],
      ['240p', 426, 240],
    ]);
    expect(renditions.map((r) => r.audio?.bitrateKbps)).toEqual([128, 96, 64]);
  });

  it('never upscales: a 360p source tops out at 360p with a scaled bitrate', () => {
    const renditions = planRenditions(source(640, 360), ladder.value);
    expect(renditions.map((r) => r.name)).toEqual(['360p', '240p']);
    expect(renditions[0]!.video).toEqual({ width: 640, height: 360, bitrateKbps: 700 });
  });

  it('measures portrait video by its short side', () => {
    const renditions = planRenditions(source(1080, 1920), ladder.value);
    expect(renditions.map((r) => [r.name, r.video?.width, r.video?.height])).toEqual([
      ['720p', 720, 1280],
      ['480p', 480, 854],
      ['240p', 240, 426],
    ]);
  });

  it('handles audio-only and video-only sources', () => {
    const audioOnly: MediaInfo = {
      durationSec: 3,
      sizeBytes: 1,
      formatName: 'mov',
      audio: { codec: 'aac', channels: 2, sampleRate: 48_000 },
    };
    expect(planRenditions(audioOnly, ladder.value)).toEqual([
      { name: 'audio', audio: { bitrateKbps: 128 } },
    ]);
    const videoOnly = planRenditions(source(1280, 720, false), ladder.value);
    expect(videoOnly.every((r) => r.audio === undefined)).toBe(true);
  });

  it('rejects a malformed ladder', () => {
    expect(parseLadder('').ok).toBe(false);
    expect(parseLadder('720:fast:128k').ok).toBe(false);
    expect(parseLadder('720:1k:1k,720:2k:1k').ok).toBe(false);
  });

  it('builds one ffmpeg command with aligned keyframes for every rendition', () => {
    const renditions = planRenditions(source(1920, 1080), ladder.value);
    const args = buildEncodeArgs(
      {
        renditions,
        inputArgs: ['-i', 'in.mp4'],
        videoInput: '0:v:0',
        audioInput: '0:a:0',
        fps: 30,
        segmentSec: 2,
        x264Preset: 'veryfast',
        outDir: '/out',
      },
      { kind: 'vod' },
    );
    const value = (flag: string) => args[args.indexOf(flag) + 1];
    expect(value('-g')).toBe('60');
    expect(value('-keyint_min')).toBe('60');
    expect(value('-sc_threshold')).toBe('0');
    expect(value('-force_key_frames')).toBe('expr:gte(t,n_forced*2)');
    expect(value('-var_stream_map')).toBe('v:0,a:0,name:720p v:1,a:1,name:480p v:2,a:2,name:240p');
    expect(value('-hls_segment_type')).toBe('fmp4');
    expect(value('-b:v:1')).toBe('1400k');
    expect(args.at(-1)).toBe('/out/%v/index.m3u8');
  });
});

describe('probe interpretation', () => {
  const base = {
    streams: [
      {
        codec_type: 'video',
        codec_name: 'h264',
        width: 1920,
        height: 1080,
        avg_frame_rate: '30000/1001',
        bit_rate: '1000000',
        duration: '10',
      },
    ],
    format: { format_name: 'mov,mp4', duration: '10', size: '1300000' },
  };

  it('reads size, frame rate and rotation', () => {
    expect(interpretProbe(base).video).toEqual({
      codec: 'h264',
      width: 1920,
      height: 1080,
      fps: 30000 / 1001,
    });
    const rotated = structuredClone(base);
    Object.assign(rotated.streams[0]!, { side_data_list: [{ rotation: -90 }] });
    expect(interpretProbe(rotated).video).toMatchObject({ width: 1080, height: 1920 });
  });

  it('calls a file whose streams index more bytes than it has truncated', () => {
    const cut = structuredClone(base);
    cut.format.size = '400000';
    expect(() => interpretProbe(cut)).toThrow(/truncated/);
  });

  it('refuses a still image and a file without streams', () => {
    expect(() =>
      interpretProbe({
        streams: [{ codec_type: 'video', codec_name: 'png', width: 10, height: 10 }],
        format: { format_name: 'png_pipe' },
      }),
    ).toThrow(/no playable duration/);
    expect(() => interpretProbe({ streams: [], format: { duration: '3' } })).toThrow(
      /no video or audio/,
    );
  });
});

describe('ffmpeg -progress parsing', () => {
  it('emits one update per block, across chunk boundaries', () => {
    const seen: FfmpegProgress[] = [];
    const parser = new ProgressParser((p) => seen.push(p));
    parser.push('frame=30\nout_time_us=1000000\nspeed=2.0x\nprog');
    parser.push('ress=continue\nframe=60\nout_time_us=2500000\nprogress=end\n');
    expect(seen).toEqual([
      { outTimeSec: 1, frame: 30, speed: 2, end: false },
      { outTimeSec: 2.5, frame: 60, speed: null, end: true },
    ]);
  });
});

describe('playlists', () => {
  it('parses what ffmpeg writes for live, program-date-time on either side of EXTINF', () => {
    const playlist = parseMediaPlaylist(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-MEDIA-SEQUENCE:16',
        '#EXT-X-MAP:URI="init_0.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000+0000',
        '#EXTINF:2.000000,',
        'seg_00016.m4s',
        '#EXTINF:1.5,',
        '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:02.000+0000',
        'seg_00017.m4s',
      ].join('\n'),
    );
    expect(playlist).toEqual({
      targetDurationSec: 2,
      mediaSequence: 16,
      mapUri: 'init_0.mp4',
      endList: false,
      segments: [
        {
          uri: 'seg_00016.m4s',
          durationSec: 2,
          programDateTime: '2026-01-01T00:00:00.000+0000',
        },
        {
          uri: 'seg_00017.m4s',
          durationSec: 1.5,
          programDateTime: '2026-01-01T00:00:02.000+0000',
        },
      ],
    });
    expect(() => parseMediaPlaylist('hello')).toThrow(/EXTM3U/);
  });

  it('renders a target duration no EXTINF exceeds once rounded', () => {
    const text = renderMediaPlaylist({
      kind: 'vod',
      mediaSequence: 0,
      mapUri: 'init.mp4',
      segments: [
        { uri: 'seg_00000.m4s', durationSec: 2 },
        { uri: 'seg_00001.m4s', durationSec: 2.6 },
      ],
      endList: true,
      minTargetDurationSec: 2,
    });
    expect(text).toContain('#EXT-X-TARGETDURATION:3\n');
    expect(text).toContain('#EXT-X-PLAYLIST-TYPE:VOD\n');
    expect(text.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
  });
});

describe('live window', () => {
  const entry = (sequence: number) => ({
    sequence,
    uri: `seg_${String(sequence).padStart(5, '0')}.m4s`,
    sha256: 'a'.repeat(64),
    sizeBytes: 10,
    durationSec: 2,
    signature: 'b'.repeat(86),
  });

  it('slides, and refuses a sequence that goes backwards', () => {
    const window = new LiveWindow('s', '240p', 3);
    window.setInit({
      uri: 'init.mp4',
      sha256: 'c'.repeat(64),
      sizeBytes: 5,
      signature: 'd'.repeat(86),
    });
    for (const sequence of [4, 5, 6]) expect(window.push(entry(sequence))).toEqual([]);
    expect(window.push(entry(7)).map((e) => e.sequence)).toEqual([4]);
    expect(window.manifest().segments.map((s) => s.sequence)).toEqual([5, 6, 7]);
    expect(window.playlist({ ended: false, segmentSec: 2 })).toContain('#EXT-X-MEDIA-SEQUENCE:5\n');
    expect(() => window.push(entry(7))).toThrow(/backwards/);
  });
});

describe('HTTP ranges', () => {
  it('parses single ranges and refuses unsatisfiable ones', () => {
    expect(parseRange(undefined, 100)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-9', 100)).toEqual({ kind: 'partial', start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(parseRange('bytes=50-1000', 100)).toEqual({ kind: 'partial', start: 50, end: 99 });
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-1,5-6', 100)).toEqual({ kind: 'full' });
    expect(parseRange('items=0-1', 100)).toEqual({ kind: 'full' });
    expect(etagMatches('W/"a", "b"', '"b"')).toBe(true);
    expect(etagMatches('"a"', '"b"')).toBe(false);
  });
});
