import { spawnSync } from 'node:child_process';
import { createHash, webcrypto } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  INTEGRITY_MANIFEST_VERSION,
  signVodManifest,
  toBase64Url,
  type SubtleCryptoLike,
} from '@coral-cdn/protocol';
import { generateClip } from '@coral-cdn/test-support';

const subtle = webcrypto.subtle as unknown as SubtleCryptoLike;

export interface PackagedStream {
  streamId: string;
  /** Folder served as `<base>/<streamId>/...`. */
  dir: string;
  renditions: string[];
  /** base64url raw Ed25519 key that signed the integrity manifests. */
  publicKey: string;
  /** Segment sizes by rendition. */
  segmentBytes: Record<string, number[]>;
  /** Segment SHA-256 (hex) by rendition, in sequence order. */
  segmentSha256: Record<string, string[]>;
}

interface RenditionSpec {
  name: string;
  height: number;
  videoKbps: number;
}

function ffmpeg(args: string[]): void {
  const result = spawnSync(
    process.env.FFMPEG_PATH ?? 'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-y', ...args],
    {
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`ffmpeg failed: ${result.stderr}`);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * A VOD packaged for real: ffmpeg encodes a test clip, then packages each rendition as HLS
 * fMP4 with 2 s segments (`<rendition>/index.m3u8`, `init.mp4`, `seg_<n>.m4s`), a master
 * playlist, and a signed integrity manifest (`<rendition>/integrity.json`) per rendition.
 */
export async function packageVod(options: {
  root: string;
  streamId: string;
  durationSec: number;
  renditions?: RenditionSpec[];
}): Promise<PackagedStream> {
  const renditions = options.renditions ?? [
    { name: '360p', height: 360, videoKbps: 1200 },
    { name: '240p', height: 240, videoKbps: 600 },
  ];
  const dir = join(options.root, options.streamId);
  mkdirSync(dir, { recursive: true });
  const clip = generateClip({
    path: join(options.root, `${options.streamId}-source.mp4`),
    durationSec: options.durationSec,
  });
  const { privateKey, publicKey } = (await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const rawPublicKey = new Uint8Array(await webcrypto.subtle.exportKey('raw', publicKey));
  const master = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  const segmentBytes: Record<string, number[]> = {};
  const segmentSha256: Record<string, string[]> = {};
  for (const rendition of renditions) {
    const out = join(dir, rendition.name);
    mkdirSync(out, { recursive: true });
    ffmpeg([
      '-i',
      clip,
      '-vf',
      `scale=-2:${rendition.height}`,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-b:v',
      `${rendition.videoKbps}k`,
      '-maxrate',
      `${rendition.videoKbps}k`,
      '-bufsize',
      `${rendition.videoKbps * 2}k`,
      '-g',
      '60',
      '-keyint_min',
      '60',
      '-sc_threshold',
      '0',
      '-c:a',
      'aac',
      '-b:a',
      '64k',
      '-f',
      'hls',
      '-hls_time',
      '2',
      '-hls_playlist_type',
      'vod',
      '-hls_segment_type',
      'fmp4',
      '-hls_fmp4_init_filename',
      'init.mp4',
      '-hls_segment_filename',
      join(out, 'seg_%d.m4s'),
      join(out, 'index.m3u8'),
    ]);
    const files = readdirSync(out)
      .filter((name) => /^seg_\d+\.m4s$/.test(name))
      .sort((a, b) => Number(a.slice(4, -4)) - Number(b.slice(4, -4)));
    const playlist = readFileSync(join(out, 'index.m3u8'), 'utf8');
    const durations = [...playlist.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
    const init = readFileSync(join(out, 'init.mp4'));
    const segments = files.map((name, index) => {
      const bytes = readFileSync(join(out, name));
      return {
        sequence: Number(name.slice(4, -4)),
        uri: name,
        sha256: sha256(bytes),
        sizeBytes: bytes.byteLength,
        durationSec: durations[index] ?? 2,
      };
    });
    segmentBytes[rendition.name] = segments.map((s) => s.sizeBytes);
    segmentSha256[rendition.name] = segments.map((s) => s.sha256);
    const manifest = await signVodManifest(subtle, privateKey, {
      v: INTEGRITY_MANIFEST_VERSION,
      kind: 'vod',
      streamId: options.streamId,
      rendition: rendition.name,
      init: { uri: 'init.mp4', sha256: sha256(init), sizeBytes: init.byteLength },
      segments,
    });
    writeFileSync(join(out, 'integrity.json'), JSON.stringify(manifest));
    const bandwidth = (rendition.videoKbps + 64) * 1000;
    master.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${bandwidth},RESOLUTION=${Math.round((rendition.height * 16) / 9 / 2) * 2}x${rendition.height},CODECS="avc1.64001e,mp4a.40.2"`,
      `${rendition.name}/index.m3u8`,
    );
  }
  writeFileSync(join(dir, 'master.m3u8'), master.join('\n') + '\n');
  return {
    streamId: options.streamId,
    dir,
    renditions: renditions.map((r) => r.name),
    publicKey: toBase64Url(rawPublicKey),
    segmentBytes,
    segmentSha256,
  };
}
