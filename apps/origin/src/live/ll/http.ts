import { createHash } from 'node:crypto';
import { INTEGRITY_MANIFEST_FILE, RENDITION_PATTERN } from '@coral-cdn/protocol';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { etagMatches, parseRange } from '../../http/range.js';
import { sendError } from '../../http/respond.js';
import { MASTER_PLAYLIST, MEDIA_PLAYLIST } from '../../vod/publish.js';
import {
  decideBlocking,
  decidePartRequest,
  parseBlockingQuery,
  type PartPosition,
} from './blocking.js';
import type { LlChannel } from './channel.js';
import { manifestFrom } from './manifest-window.js';
import { nextPartHint, renderLlPlaylist } from './playlist.js';
import type { LlRendition } from './rendition.js';

export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** A plain reload: as classic live. */
const PLAYLIST_CACHE = 'public, max-age=1';
/**
 * The answer to a blocking reload stays a correct answer to that same URL (it holds the asked
 * part or later), so it may be cached for a few part durations.
 */
const BLOCKING_CACHE = 'public, max-age=2';

const PART_FILE = /^part_(\d{1,10})_(\d{1,5})\.m4s$/;
const SEGMENT_FILE = /^seg_(\d{1,10})\.m4s$/;
const INIT_FILE = /^init_\d{1,10}\.mp4$/;

/** How long a blocking request is held before 503 (the spec: three target durations). */
export function holdLimitMs(channel: LlChannel): number {
  return channel.timing.segmentSec * 3 * 1000;
}

function send(
  req: Request,
  res: Response,
  body: Uint8Array | string,
  contentType: string,
  cacheControl: string,
): void {
  const bytes =
    typeof body === 'string'
      ? Buffer.from(body)
      : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const etag = `"${createHash('sha1').update(bytes).digest('base64url').slice(0, 20)}"`;
  res.set({
    'Content-Type': contentType,
    'Cache-Control': cacheControl,
    ETag: etag,
    'Accept-Ranges': 'bytes',
  });
  if (etagMatches(req.get('if-none-match'), etag)) {
    res.status(304).end();
    return;
  }
  const range = parseRange(req.get('range'), bytes.byteLength);
  if (range.kind === 'unsatisfiable') {
    res.status(416).set('Content-Range', `bytes */${bytes.byteLength}`).end();
    return;
  }
  const slice = range.kind === 'partial' ? bytes.subarray(range.start, range.end + 1) : bytes;
  if (range.kind === 'partial') {
    res.status(206).set('Content-Range', `bytes ${range.start}-${range.end}/${bytes.byteLength}`);
  }
  res.set('Content-Length', String(slice.byteLength));
  if (req.method === 'HEAD') res.end();
  else res.end(slice);
}

/**
 * Wait until `ready()` holds after a publication, the request goes away, or `limitMs` passes.
 * Resolves with whether it became ready.
 */
function waitFor(
  rendition: LlRendition,
  req: Request,
  limitMs: number,
  ready: () => 'yes' | 'no' | 'never',
): Promise<'yes' | 'never' | 'timeout' | 'gone'> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: 'yes' | 'never' | 'timeout' | 'gone') => {
      if (settled) return;
      settled = true;
      unsubscribe();
      clearTimeout(timer);
      req.off('close', onClose);
      resolve(outcome);
    };
    const check = () => {
      const state = ready();
      if (state !== 'no') finish(state);
    };
    const onClose = () => finish('gone');
    const unsubscribe = rendition.subscribe(check);
    const timer = setTimeout(() => finish('timeout'), limitMs);
    req.on('close', onClose);
    check();
  });
}

function publishedState(rendition: LlRendition) {
  return {
    lastPart: rendition.lastPart,
    lastCompleteMsn: rendition.lastCompleteMsn,
    ended: rendition.ended,
  };
}

async function servePlaylistLike(
  req: Request,
  res: Response,
  channel: LlChannel,
  rendition: LlRendition,
  render: (
    from: { msn: number; part: number | null } | null,
  ) => { body: string; contentType: string; ended: boolean } | null,
): Promise<void> {
  const request = parseBlockingQuery(req.query);
  if (request.kind === 'bad') {
    sendError(res, 400, 'bad_blocking_request', request.message);
    return;
  }
  if (request.kind === 'block') {
    const decide = () => decideBlocking(publishedState(rendition), request);
    if (decide() === 'too_far') {
      sendError(
        res,
        400,
        'too_far_ahead',
        'that segment or part is too far ahead of the live edge',
      );
      return;
    }
    const outcome = await waitFor(rendition, req, holdLimitMs(channel), () =>
      decide() === 'ready' ? 'yes' : 'no',
    );
    if (outcome === 'gone') return;
    if (outcome === 'timeout') {
      sendError(res, 503, 'not_yet', 'the requested part did not appear in time');
      return;
    }
  }
  const rendered = render(request.kind === 'block' ? request : null);
  if (rendered === null) {
    sendError(res, 404, 'not_found', 'nothing published yet');
    return;
  }
  const cache = request.kind === 'block' ? BLOCKING_CACHE : PLAYLIST_CACHE;
  send(
    req,
    res,
    rendered.body,
    rendered.contentType,
    rendered.ended ? 'public, max-age=60' : cache,
  );
}

async function servePart(
  req: Request,
  res: Response,
  channel: LlChannel,
  rendition: LlRendition,
  wanted: PartPosition,
): Promise<void> {
  const state = () => {
    const exists = rendition.part(wanted.msn, wanted.part) !== undefined;
    return decidePartRequest(
      { ...publishedState(rendition), hint: nextPartHint(rendition, channel.timing) },
      wanted,
      exists,
    );
  };
  let decision = state();
  if (decision === 'wait') {
    // A blocking preload-hint request: answered the moment the part is published.
    const outcome = await waitFor(rendition, req, holdLimitMs(channel), () => {
      const next = state();
      return next === 'serve' ? 'yes' : next === 'missing' ? 'never' : 'no';
    });
    if (outcome === 'gone') return;
    decision = outcome === 'yes' ? 'serve' : 'missing';
  }
  const part = rendition.part(wanted.msn, wanted.part);
  if (decision !== 'serve' || !part) {
    sendError(res, 404, 'not_found', `no part ${wanted.part} of segment ${wanted.msn}`);
    return;
  }
  send(req, res, part.bytes, 'video/iso.segment', IMMUTABLE);
}

/**
 * HLS of low-latency channels, from memory: master.m3u8, <rendition>/index.m3u8 and
 * integrity.json (both with blocking reload), init_<n>.mp4, seg_<n>.m4s, part_<n>_<k>.m4s
 * (blocking for the hinted part). Requests for other channels go on to the file handler.
 */
export function llMediaHandler(lookup: (id: string) => LlChannel | undefined): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const params = req.params as { id: string; rendition?: string; file: string };
    const channel = lookup(params.id);
    if (!channel) {
      next();
      return;
    }
    if (params.rendition === undefined) {
      if (params.file === MASTER_PLAYLIST && channel.masterPlaylist !== null) {
        send(req, res, channel.masterPlaylist, 'application/vnd.apple.mpegurl', PLAYLIST_CACHE);
      } else {
        sendError(res, 404, 'not_found', `no such file: ${req.path.slice(0, 200)}`);
      }
      return;
    }
    const rendition = RENDITION_PATTERN.test(params.rendition)
      ? channel.rendition(params.rendition)
      : undefined;
    if (!rendition) {
      sendError(res, 404, 'not_found', `no such rendition: ${params.rendition.slice(0, 64)}`);
      return;
    }
    const { file } = params;
    if (file === MEDIA_PLAYLIST) {
      await servePlaylistLike(req, res, channel, rendition, () => {
        const body = renderLlPlaylist(rendition, channel.renditions, channel.timing);
        return body === null
          ? null
          : { body, contentType: 'application/vnd.apple.mpegurl', ended: rendition.ended };
      });
      return;
    }
    if (file === INTEGRITY_MANIFEST_FILE) {
      await servePlaylistLike(req, res, channel, rendition, (from) => ({
        body: `${JSON.stringify(from ? manifestFrom(rendition.manifest(), from) : rendition.manifest())}\n`,
        contentType: 'application/json; charset=utf-8',
        ended: rendition.ended,
      }));
      return;
    }
    const part = PART_FILE.exec(file);
    if (part) {
      await servePart(req, res, channel, rendition, {
        msn: Number(part[1]),
        part: Number(part[2]),
      });
      return;
    }
    const segment = SEGMENT_FILE.exec(file);
    const complete = segment ? rendition.segment(Number(segment[1]))?.complete : undefined;
    if (complete) {
      send(req, res, complete.bytes, 'video/iso.segment', IMMUTABLE);
      return;
    }
    const init = rendition.init;
    if (INIT_FILE.test(file) && init?.entry.uri === file) {
      send(req, res, init.bytes, 'video/mp4', IMMUTABLE);
      return;
    }
    sendError(res, 404, 'not_found', `no such file: ${req.path.slice(0, 200)}`);
  };
}
