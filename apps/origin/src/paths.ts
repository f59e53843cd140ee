import { join } from 'node:path';
import { STREAM_ID_PATTERN } from '@coral-cdn/protocol';
import { badRequest } from './errors.js';

/** Throw a 400 unless `id` is a valid stream id (which can never traverse a path). */
export function assertStreamId(id: string): string {
  if (!STREAM_ID_PATTERN.test(id)) {
    throw badRequest('bad_id', `id "${id.slice(0, 80)}" is not 1-64 characters of [A-Za-z0-9_-]`);
  }
  return id;
}

/**
 * Every file the origin writes lives under DATA_DIR:
 *   keys/            integrity.pem, token.pem
 *   uploads/         <id>.src (until packaged), .part-* (being received)
 *   videos/          <id>.json: each video's record
 *   tmp/             job working folders; emptied at start-up
 *   vod/<id>/        published VOD (renamed in from tmp/ in one step)
 *   live/<id>/       live channel output and channel.json
 *   sources/         default LIVE_SOURCES_DIR for `file` live sources
 */
export class DataPaths {
  readonly uploads: string;
  readonly videos: string;
  readonly tmp: string;
  readonly vod: string;
  readonly live: string;

  constructor(readonly root: string) {
    this.uploads = join(root, 'uploads');
    this.videos = join(root, 'videos');
    this.tmp = join(root, 'tmp');
    this.vod = join(root, 'vod');
    this.live = join(root, 'live');
  }

  videoRecord(id: string): string {
    return join(this.videos, `${assertStreamId(id)}.json`);
  }

  upload(id: string): string {
    return join(this.uploads, `${assertStreamId(id)}.src`);
  }

  vodDir(id: string): string {
    return join(this.vod, assertStreamId(id));
  }

  liveDir(id: string): string {
    return join(this.live, assertStreamId(id));
  }
}
