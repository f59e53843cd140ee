import { REGION_PATTERN } from '@coral-cdn/protocol';
import type { Logger } from '@coral-cdn/server-kit';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import type { OperatorKeys } from '../auth/operator-keys.js';
import type { OriginConfig } from '../config.js';
import { badRequest, BusyError, conflict, OriginError } from '../errors.js';
import { randomToken } from '../fs-util.js';
import type { LiveChannel } from '../live/channel.js';
import type { LlChannel } from '../live/ll/channel.js';
import { llMediaHandler } from '../live/ll/http.js';
import type { LiveService } from '../live/service.js';
import { createChannelSchema } from '../live/service.js';
import type { OriginMetrics } from '../metrics.js';
import { assertStreamId, type DataPaths } from '../paths.js';
import { playbackIce, type IceSettings } from '../ice-servers.js';
import type { ViewerTokens } from '../tokens.js';
import { MASTER_PLAYLIST } from '../vod/publish.js';
import type { VideoRecord, VideoService } from '../vod/service.js';
import { receiveUpload } from '../vod/upload.js';
import { cors } from './cors.js';
import { mediaHandler } from './media.js';
import { operatorScopes, optionalOperator, requireOperator } from './operator-auth.js';
import { checkPlaybackSignature } from './playback-auth.js';
import { clientKey, TokenBuckets } from './rate-limit.js';
import { sendError } from './respond.js';

export interface AppDeps {
  readonly config: OriginConfig;
  readonly paths: DataPaths;
  readonly videos: VideoService;
  readonly live: LiveService;
  readonly tokens: ViewerTokens;
  readonly operatorKeys: OperatorKeys;
  readonly publicKeyBase64Url: string;
  readonly metrics: OriginMetrics;
  readonly logger: Logger;
}

export function videoView(record: VideoRecord, publicUrl: string): Record<string, unknown> {
  return {
    id: record.id,
    kind: 'vod',
    ...(record.title === undefined ? {} : { title: record.title }),
    status: record.status,
    progress: Math.round(record.progress * 1000) / 1000,
    ...(record.error === undefined ? {} : { error: record.error, errorCode: record.errorCode }),
    ...(record.renditions === undefined ? {} : { renditions: record.renditions }),
    ...(record.durationSec === undefined ? {} : { durationSec: record.durationSec }),
    ...(record.status === 'ready'
      ? {
          manifestPath: `/vod/${record.id}/${MASTER_PLAYLIST}`,
          manifestUrl: `${publicUrl}/vod/${record.id}/${MASTER_PLAYLIST}`,
        }
      : {}),
    sourceSizeBytes: record.sourceSizeBytes,
    ...(record.timings === undefined ? {} : { timings: record.timings }),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/** The coarse route label for metrics (never the raw path: ids would explode the series). */
function routeLabel(path: string): string {
  if (path.startsWith('/vod/')) return '/vod';
  if (path.startsWith('/live/')) return '/live';
  const match = /^\/(api\/(?:videos|live|playback)|healthz|metrics|\.well-known\/jwks\.json)/.exec(
    path,
  );
  return match ? `/${match[1]}` : 'other';
}

/** The `:id` route parameter (typed loosely by Express once a route has middleware). */
const idOf = (req: Request) => String(req.params.id);

/** FNV-1a: the same stream always gets the same tracker, so its viewers meet. */
function pick<T>(items: readonly T[], key: string): T {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return items[hash % items.length]!;
}

export function buildApp(deps: AppDeps): express.Express {
  const iceSettings: IceSettings = {
    stunUrls: deps.config.ICE_STUN_URLS,
    turnUrls: deps.config.ICE_TURN_URLS,
    turnSecret: deps.config.TURN_SECRET,
    turnCredentialTtlSec: deps.config.TURN_CREDENTIAL_TTL_SEC,
    turnForPeers: deps.config.TURN_FOR_PEERS,
  };
  const { config, videos, live, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // req.ip: the peer's address, or the client's as trusted proxies report it.
  app.set('trust proxy', config.TRUST_PROXY);
  const operator = (scope: Parameters<typeof requireOperator>[1]) =>
    requireOperator(deps.operatorKeys, scope);
  const maybeOperator = optionalOperator(deps.operatorKeys);
  const playbackBuckets = new TokenBuckets({
    refillPerSec: config.PLAYBACK_RATE_PER_SEC,
    burst: config.PLAYBACK_BURST,
  });

  app.use((req, res, next) => {
    res.on('finish', () =>
      metrics.httpRequests.inc({
        method: req.method,
        route: routeLabel(req.path),
        status: String(res.statusCode),
      }),
    );
    next();
  });
  app.use(cors(config.CORS_ORIGINS));

  app.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(deps.tokens.jwks());
  });

  const idTaken = (id: string) => videos.has(id) || live.has(id);
  const publicUrl = config.PUBLIC_URL;
  const showVideo = (record: VideoRecord) => videoView(record, publicUrl);
  const showChannel = (channel: LiveChannel | LlChannel, res: Response) => ({
    ...channel.view({ secrets: operatorScopes(res).has('read:secrets') }),
    manifestUrl: `${publicUrl}/live/${channel.id}/${MASTER_PLAYLIST}`,
  });

  // ---- VOD ----
  app.post('/api/videos', operator('videos:write'), async (req, res) => {
    // A full queue refuses before a byte of the body is stored.
    const release = videos.reservePlace();
    try {
      await receiveAndAdmit(req, res);
    } finally {
      release();
    }
  });
  const receiveAndAdmit = async (req: Request, res: Response) => {
    const upload = await receiveUpload(req, {
      uploadsDir: deps.paths.uploads,
      maxBytes: config.MAX_UPLOAD_BYTES,
      onBytes: (count) => metrics.ingestBytes.inc(count),
      checkField: (name, value) => {
        try {
          if (name === 'id') {
            assertStreamId(value);
            if (idTaken(value)) return conflict('id_taken', `id "${value}" is already taken`);
          }
          if (name === 'title' && value.length > 200) {
            return badRequest('bad_title', 'the title is longer than 200 characters');
          }
        } catch (error) {
          return error instanceof OriginError ? error : null;
        }
        return null;
      },
    });
    let id = upload.fields.get('id');
    if (id === undefined) {
      do id = randomToken(8);
      while (idTaken(id));
    } else if (live.has(id)) {
      throw conflict('id_taken', `id "${id}" is already taken`);
    }
    const title = upload.fields.get('title');
    const record = await videos.admit({
      id,
      ...(title === undefined ? {} : { title }),
      partPath: upload.file.partPath,
      sizeBytes: upload.file.sizeBytes,
    });
    res.status(202).location(`/api/videos/${record.id}`).json(showVideo(record));
  };
  app.get('/api/videos', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ videos: videos.list().map(showVideo) });
  });
  app.get('/api/videos/:id', (req, res) => {
    res.set('Cache-Control', 'no-store').json(showVideo(videos.get(req.params.id)));
  });
  app.post('/api/videos/:id/cancel', operator('videos:write'), async (req, res) => {
    res.json(showVideo(await videos.cancel(idOf(req))));
  });
  app.delete('/api/videos/:id', operator('videos:write'), async (req, res) => {
    await videos.delete(idOf(req));
    res.status(204).end();
  });

  // ---- live ----
  app.post(
    '/api/live',
    operator('live:write'),
    express.json({ limit: '16kb' }),
    async (req: Request, res: Response) => {
      const parsed = createChannelSchema.safeParse(req.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw badRequest(
          'bad_request',
          `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
        );
      }
      const channel = await live.create(parsed.data);
      res.status(201).location(`/api/live/${channel.id}`).json(showChannel(channel, res));
    },
  );
  app.get('/api/live', maybeOperator, (_req, res) => {
    res
      .set('Cache-Control', 'no-store')
      .json({ channels: live.list().map((channel) => showChannel(channel, res)) });
  });
  app.get('/api/live/:id', maybeOperator, (req, res) => {
    res.set('Cache-Control', 'no-store').json(showChannel(live.get(idOf(req)), res));
  });
  app.post('/api/live/:id/stop', operator('live:write'), async (req, res) => {
    res.json(showChannel(await live.stop(idOf(req)), res));
  });
  app.post('/api/live/:id/start', operator('live:write'), async (req, res) => {
    res.json(showChannel(await live.start(idOf(req)), res));
  });
  app.delete('/api/live/:id', operator('live:write'), async (req, res) => {
    await live.delete(idOf(req));
    res.status(204).end();
  });

  // ---- playback ----
  app.get('/api/playback/:id', async (req, res) => {
    const taken = playbackBuckets.take(clientKey(req.ip ?? req.socket.remoteAddress ?? ''));
    if (!taken.ok) {
      throw new BusyError(
        'rate_limited',
        'too many playback requests from this address (PLAYBACK_RATE_PER_SEC, PLAYBACK_BURST)',
        taken.retryAfterSec,
        429,
      );
    }
    const id = assertStreamId(req.params.id);
    if (config.PLAYBACK_AUTH === 'signed') {
      const check = checkPlaybackSignature(
        config.PLAYBACK_SIGNING_SECRET!,
        id,
        req.query.expires,
        req.query.sig,
        Date.now(),
      );
      if (!check.ok) {
        throw new OriginError(
          check.code,
          check.code === 'signature_required'
            ? 'this origin plays only signed requests: ?expires=<unix s>&sig=<HMAC-SHA256 hex of "<id>:<expires>">'
            : check.code === 'signature_expired'
              ? 'the signed playback request has expired'
              : 'the playback signature does not match',
          403,
        );
      }
    }
    let kind: 'vod' | 'live';
    if (videos.has(id)) {
      const record = videos.get(id);
      if (record.status !== 'ready') {
        throw conflict('not_ready', `video "${id}" is ${record.status}, not ready to play`);
      }
      kind = 'vod';
    } else if (live.has(id)) {
      kind = 'live';
    } else {
      throw new OriginError('unknown_id', `no video or live channel with id "${id}"`, 404);
    }
    const queryRegion = typeof req.query.region === 'string' ? req.query.region : undefined;
    const wanted = queryRegion ?? req.get('x-coral-region');
    const edge =
      (wanted !== undefined && REGION_PATTERN.test(wanted)
        ? config.EDGES.find((e) => e.region === wanted)
        : undefined) ?? config.EDGES.find((e) => e.region === config.DEFAULT_REGION)!;
    const { token, expiresAt } = await deps.tokens.issue({ stream: id, region: edge.region });
    res.set('Cache-Control', 'no-store').json({
      id,
      kind,
      manifestUrl: `${edge.url}/${kind}/${id}/${MASTER_PLAYLIST}`,
      edge: { url: edge.url, region: edge.region },
      trackerUrl: pick(config.TRACKER_URLS, id),
      token,
      tokenExpiresAt: expiresAt.toISOString(),
      swarmId: id,
      publicKey: deps.publicKeyBase64Url,
      ...playbackIce(iceSettings, Date.now()),
    });
  });

  // ---- media ----
  app.get('/vod/:id/:file', mediaHandler(deps.paths, 'vod'));
  app.get('/vod/:id/:rendition/:file', mediaHandler(deps.paths, 'vod'));
  const lowLatency = llMediaHandler((id) => live.lowLatency(id));
  app.get('/live/:id/:file', lowLatency, mediaHandler(deps.paths, 'live'));
  app.get('/live/:id/:rendition/:file', lowLatency, mediaHandler(deps.paths, 'live'));

  app.use((req, res) => {
    sendError(res, 404, 'not_found', `no route for ${req.method} ${req.path.slice(0, 200)}`);
  });
  const onError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof OriginError) {
      if (error instanceof BusyError) res.set('Retry-After', String(error.retryAfterSec));
      sendError(res, error.httpStatus, error.code, error.message);
      return;
    }
    const status = (error as { status?: unknown }).status;
    const type = (error as { type?: unknown }).type;
    if (type === 'entity.parse.failed') {
      sendError(res, 400, 'bad_json', 'the request body is not valid JSON');
    } else if (type === 'entity.too.large') {
      sendError(res, 413, 'body_too_large', 'the request body is too large');
    } else if (typeof status === 'number' && status >= 400 && status < 500) {
      sendError(res, status, 'bad_request', (error as Error).message);
    } else {
      deps.logger.error('request failed', { method: req.method, path: req.path, err: error });
      sendError(res, 500, 'internal', 'internal error');
    }
  };
  app.use(onError);
  return app;
}
