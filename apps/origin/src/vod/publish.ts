import type { webcrypto } from 'node:crypto';
import { readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  INTEGRITY_MANIFEST_FILE,
  INTEGRITY_MANIFEST_VERSION,
  signVodManifest,
  type SegmentEntry,
} from '@coral-cdn/protocol';
import { writeFileAtomic } from '../fs-util.js';
import { inspectInitSegment } from '../hls/init-segment.js';
import {
  parseMediaPlaylist,
  renderMasterPlaylist,
  renderMediaPlaylist,
  segmentNumber,
} from '../hls/playlist.js';
import { hashFile, subtle, type FileDigest } from '../integrity/hash.js';
import { FFMPEG_MASTER, FFMPEG_VOD_PLAYLIST } from '../packaging/command.js';
import type { Rendition } from '../packaging/ladder.js';

export const MEDIA_PLAYLIST = 'index.m3u8';
export const MASTER_PLAYLIST = 'master.m3u8';
export const INIT_SEGMENT = 'init.mp4';

/** What a published rendition is, as the videos API reports it. */
export interface PublishedRendition {
  readonly name: string;
  readonly width?: number;
  readonly height?: number;
  readonly codecs: string[];
  /** Peak segment bitrate, bits/s (the master playlist's BANDWIDTH). */
  readonly bandwidth: number;
  readonly averageBandwidth: number;
  readonly segments: number;
  readonly durationSec: number;
}

export class OutputError extends Error {}

/**
 * Turn ffmpeg's VOD output folder into the published layout, in place (the folder is still
 * private): init_<n>.mp4 → init.mp4, our own playlists, one signed integrity manifest per
 * rendition, and a master playlist whose BANDWIDTH is measured from the segments.
 */
export async function finalizeVodOutput(options: {
  outDir: string;
  streamId: string;
  renditions: readonly Rendition[];
  fps?: number;
  segmentSec: number;
  integrityKey: webcrypto.CryptoKey;
  /** Digests computed while ffmpeg ran; files without one are hashed here. */
  digestOf?: (path: string) => Promise<FileDigest>;
}): Promise<PublishedRendition[]> {
  const digestOf = options.digestOf ?? hashFile;
  const published: PublishedRendition[] = [];
  for (const rendition of options.renditions) {
    const dir = join(options.outDir, rendition.name);
    let text: string;
    try {
      text = await readFile(join(dir, FFMPEG_VOD_PLAYLIST), 'utf8');
    } catch {
      throw new OutputError(`ffmpeg wrote no playlist for ${rendition.name}`);
    }
    const playlist = parseMediaPlaylist(text);
    if (!playlist.endList || playlist.segments.length === 0 || playlist.mapUri === null) {
      throw new OutputError(`ffmpeg's playlist for ${rendition.name} is incomplete`);
    }
    if (playlist.mapUri !== INIT_SEGMENT) {
      await rename(join(dir, playlist.mapUri), join(dir, INIT_SEGMENT));
    }
    const initPath = join(dir, INIT_SEGMENT);
    const [init, initBytes] = await Promise.all([hashFile(initPath), readFile(initPath)]);
    const initInfo = inspectInitSegment(initBytes);
    const segments: SegmentEntry[] = [];
    for (const [index, segment] of playlist.segments.entries()) {
      const sequence = playlist.mediaSequence + index;
      if (segmentNumber(segment.uri) !== sequence) {
        throw new OutputError(`unexpected segment name ${segment.uri} for sequence ${sequence}`);
      }
      const digest = await digestOf(join(dir, segment.uri));
      segments.push({ sequence, uri: segment.uri, durationSec: segment.durationSec, ...digest });
    }
    const manifest = await signVodManifest(subtle, options.integrityKey, {
      v: INTEGRITY_MANIFEST_VERSION,
      kind: 'vod',
      streamId: options.streamId,
      rendition: rendition.name,
      init: { uri: INIT_SEGMENT, ...init },
      segments,
    });
    await writeFileAtomic(join(dir, INTEGRITY_MANIFEST_FILE), `${JSON.stringify(manifest)}\n`);
    await writeFileAtomic(
      join(dir, MEDIA_PLAYLIST),
      renderMediaPlaylist({
        kind: 'vod',
        mediaSequence: playlist.mediaSequence,
        mapUri: INIT_SEGMENT,
        segments: playlist.segments,
        endList: true,
        minTargetDurationSec: options.segmentSec,
      }),
    );
    const durationSec = segments.reduce((sum, s) => sum + s.durationSec, 0);
    const totalBytes = segments.reduce((sum, s) => sum + s.sizeBytes, 0);
    const peak = Math.max(...segments.map((s) => (s.sizeBytes * 8) / Math.max(s.durationSec, 0.5)));
    published.push({
      name: rendition.name,
      ...(initInfo.width === undefined
        ? {}
        : { width: initInfo.width, height: initInfo.height ?? 0 }),
      codecs: initInfo.codecs,
      bandwidth: Math.ceil(peak),
      averageBandwidth: Math.ceil((totalBytes * 8) / Math.max(durationSec, 0.001)),
      segments: segments.length,
      durationSec,
    });
  }
  await rm(join(options.outDir, FFMPEG_MASTER), { force: true });
  await writeFileAtomic(
    join(options.outDir, MASTER_PLAYLIST),
    renderMasterPlaylist(
      published.map((r) => ({
        uri: `${r.name}/${MEDIA_PLAYLIST}`,
        bandwidth: r.bandwidth,
        averageBandwidth: r.averageBandwidth,
        ...(r.width === undefined ? {} : { resolution: { width: r.width, height: r.height ?? 0 } }),
        ...(r.width !== undefined && options.fps !== undefined ? { frameRate: options.fps } : {}),
        codecs: r.codecs,
      })),
    ),
  );
  return published;
}
