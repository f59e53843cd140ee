import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { INTEGRITY_MANIFEST_FILE, RENDITION_PATTERN, STREAM_ID_PATTERN } from '@coral-cdn/protocol';
import type { Request, RequestHandler, Response } from 'express';
import type { DataPaths } from '../paths.js';
import { INIT_SEGMENT, MASTER_PLAYLIST, MEDIA_PLAYLIST } from '../vod/publish.js';
import { etagMatches, parseRange } from './range.js';
import { sendError } from './respond.js';

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const VOD_PLAYLIST_CACHE = 'public, max-age=86400';
/** At most half the target duration (2 s segments): players and edges see new segments fast. */
export const LIVE_PLAYLIST_CACHE = 'public, max-age=1';

const SEGMENT_FILE = /^seg_\d{1,10}\.m4s$/;

function contentType(file: string): string {
  if (file.endsWith('.m3u8')) return 'application/vnd.apple.mpegurl';
  if (file.endsWith('.m4s')) return 'video/iso.segment';
  if (file.endsWith('.mp4')) return 'video/mp4';
  return 'application/json; charset=utf-8';
}

function cacheControl(kind: 'vod' | 'live', file: string): string {
  if (file === INIT_SEGMENT || SEGMENT_FILE.test(file)) return IMMUTABLE;
  return kind === 'vod' ? VOD_PLAYLIST_CACHE : LIVE_PLAYLIST_CACHE;
}

function isServable(rendition: string | undefined, file: string): boolean {
  if (rendition === undefined) return file === MASTER_PLAYLIST;
  return (
    file === MEDIA_PLAYLIST ||
    file === INIT_SEGMENT ||
    file === INTEGRITY_MANIFEST_FILE ||
    SEGMENT_FILE.test(file)
  );
}

/**
 * HLS files under /vod/<id>/… and /live/<id>/…: only the published names (master.m3u8,
 * <rendition>/index.m3u8, init.mp4, seg_<n>.m4s, integrity.json), with ETag, Range and the
 * cache policy. The file is read through one descriptor, so a playlist replaced (renamed
 * over) mid-request is served whole, old or new.
 */
export function mediaHandler(paths: DataPaths, kind: 'vod' | 'live'): RequestHandler {
  return async (req: Request, res: Response) => {
    const params = req.params as { id: string; rendition?: string; file: string };
    if (!STREAM_ID_PATTERN.test(params.id)) {
      sendError(res, 400, 'bad_id', 'the id is not 1-64 characters of [A-Za-z0-9_-]');
      return;
    }
    if (params.rendition !== undefined && !RENDITION_PATTERN.test(params.rendition)) {
      sendError(res, 400, 'bad_rendition', 'the rendition is not 1-32 characters of [A-Za-z0-9_-]');
      return;
    }
    if (!isServable(params.rendition, params.file)) {
      sendError(res, 404, 'not_found', `no such file: ${req.path.slice(0, 200)}`);
      return;
    }
    const base = kind === 'vod' ? paths.vodDir(params.id) : paths.liveDir(params.id);
    const path =
      params.rendition === undefined
        ? join(base, params.file)
        : join(base, params.rendition, params.file);
    await serveFile(req, res, path, {
      contentType: contentType(params.file),
      cacheControl: cacheControl(kind, params.file),
    });
  };
}

async function serveFile(
  req: Request,
  res: Response,
  path: string,
  headers: { contentType: string; cacheControl: string },
): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    sendError(res, 404, 'not_found', `no such file: ${req.path.slice(0, 200)}`);
    return;
  }
  let streaming = false;
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      sendError(res, 404, 'not_found', `no such file: ${req.path.slice(0, 200)}`);
      return;
    }
    const size = info.size;
    const etag = `"${size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    res.set({
      'Content-Type': headers.contentType,
      'Cache-Control': headers.cacheControl,
      ETag: etag,
      'Last-Modified': info.mtime.toUTCString(),
      'Accept-Ranges': 'bytes',
    });
    if (etagMatches(req.get('if-none-match'), etag)) {
      res.status(304).end();
      return;
    }
    const ifRange = req.get('if-range');
    const range =
      ifRange === undefined || ifRange === etag
        ? parseRange(req.get('range'), size)
        : ({ kind: 'full' } as const);
    if (range.kind === 'unsatisfiable') {
      res.status(416).set('Content-Range', `bytes */${size}`).end();
      return;
    }
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : size - 1;
    if (range.kind === 'partial') {
      res.status(206).set('Content-Range', `bytes ${start}-${end}/${size}`);
    }
    res.set('Content-Length', String(Math.max(0, end - start + 1)));
    if (req.method === 'HEAD' || size === 0) {
      res.end();
      return;
    }
    const stream = handle.createReadStream({ start, end, autoClose: true });
    streaming = true;
    res.on('close', () => stream.destroy());
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  } finally {
    if (!streaming) await handle.close();
  }
}
