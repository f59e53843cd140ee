import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Counter, type Logger, type Registry } from '@coral-cdn/server-kit';
import { pageConfig, type PlayerConfig } from './config.js';
import { findStaticFile } from './static-files.js';
import type { SwarmStatsCollector } from './swarm-stats.js';

export interface PlayerServerOptions {
  config: PlayerConfig;
  logger: Logger;
  metrics: Registry;
  /** Behind /api/dashboard (the analytics page's data). */
  swarmStats: SwarmStatsCollector;
}

/**
 * The player's HTTP server: the built page (static files, index.html for page routes),
 * `/config.json` (where the page finds the origin), the analytics page `/dashboard` and its
 * data `/api/dashboard` (all trackers' figures added up), `/healthz`, `/metrics`.
 */
export function createPlayerServer({
  config,
  logger,
  metrics,
  swarmStats,
}: PlayerServerOptions): Server {
  const requests = new Counter({
    name: 'coral_player_http_requests_total',
    help: 'HTTP requests answered, by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [metrics],
  });
  const configBody = JSON.stringify(pageConfig(config));

  const send = (
    res: ServerResponse,
    route: string,
    status: number,
    headers: Record<string, string>,
    body?: string,
  ) => {
    requests.inc({ route, status: String(status) });
    res.writeHead(status, headers);
    res.end(body);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://player.invalid');
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      send(
        res,
        'other',
        405,
        { allow: 'GET, HEAD', 'content-type': 'text/plain' },
        'method not allowed\n',
      );
      return;
    }
    const body = (text: string) => (method === 'HEAD' ? undefined : text);
    switch (url.pathname) {
      case '/healthz':
        send(
          res,
          'healthz',
          200,
          { 'content-type': 'application/json', 'cache-control': 'no-store' },
          body('{"status":"ok"}'),
        );
        return;
      case '/metrics': {
        const text = await metrics.metrics();
        send(res, 'metrics', 200, { 'content-type': metrics.contentType }, body(text));
        return;
      }
      case '/config.json':
        send(
          res,
          'config',
          200,
          { 'content-type': 'application/json', 'cache-control': 'no-store' },
          body(configBody),
        );
        return;
      case '/api/dashboard': {
        const snapshot = await swarmStats.snapshot();
        send(
          res,
          'dashboard-api',
          200,
          { 'content-type': 'application/json', 'cache-control': 'no-store' },
          body(JSON.stringify(snapshot)),
        );
        return;
      }
    }
    // The analytics page is its own document; other extension-less paths are the player's.
    const path = url.pathname === '/dashboard' ? '/dashboard.html' : url.pathname;
    const file = await findStaticFile(config.WEB_DIR, path);
    if (!file) {
      send(res, 'static', 404, { 'content-type': 'text/plain' }, body('not found\n'));
      return;
    }
    const headers = {
      'content-type': file.contentType,
      'content-length': String(file.sizeBytes),
      etag: file.etag,
      'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    };
    if (req.headers['if-none-match'] === file.etag) {
      send(res, 'static', 304, { etag: file.etag, 'cache-control': headers['cache-control'] });
      return;
    }
    requests.inc({ route: 'static', status: '200' });
    res.writeHead(200, headers);
    if (method === 'HEAD') {
      res.end();
      return;
    }
    await pipeline(file.stream(), res);
  }

  return createServer((req, res) => {
    const startedAt = performance.now();
    res.on('finish', () =>
      logger.debug('request', {
        method: req.method,
        path: req.url?.slice(0, 200),
        status: res.statusCode,
        durationMs: Math.round(performance.now() - startedAt),
      }),
    );
    handle(req, res).catch((error: unknown) => {
      logger.error('request failed', { path: req.url?.slice(0, 200), err: error });
      if (!res.headersSent)
        send(res, 'error', 500, { 'content-type': 'text/plain' }, 'internal error\n');
      else res.destroy();
    });
  });
}
