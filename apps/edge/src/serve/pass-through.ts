import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@coral-cdn/server-kit';
import { OriginUnavailableError } from '../errors.js';
import { forwardedRequestHeaders, originHeaderPairs, type HeaderList } from '../http/headers.js';
import type { OriginClient } from '../origin/origin-client.js';
import type { EdgeCounters } from '../stats.js';
import { sendError } from './respond.js';

export interface PassThroughContext {
  readonly origin: OriginClient;
  readonly edgeHeaders: HeaderList;
  readonly via: string;
  readonly counters: EdgeCounters;
  readonly logger: Logger;
}

/**
 * Forward one request to the origin with the client's own headers (credentials, Range,
 * validators) and stream the answer back, paced by the client. Never cached, never shared.
 * Used for requests carrying credentials and for ranges of objects too large to cache.
 */
export function passThrough(
  req: IncomingMessage,
  res: ServerResponse,
  key: string,
  context: PassThroughContext,
): void {
  const { counters } = context;
  counters.passes++;
  counters.originRequests++;
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) {
      counters.clientAborts++;
      controller.abort(new Error('client went away'));
    }
  });
  const headers = forwardedRequestHeaders(req.headers, req.socket.remoteAddress, context.via);
  const method = req.method === 'HEAD' ? 'HEAD' : 'GET';
  context.origin.get(key, headers, controller.signal, method).then(
    (response) => {
      if (res.destroyed) {
        response.body.destroy();
        return;
      }
      counters.misses++;
      try {
        res.writeHead(response.statusCode, [
          ...originHeaderPairs(response.headers, true),
          ...context.edgeHeaders,
          'x-cache',
          'MISS',
        ]);
      } catch (error) {
        // A header Node refuses to send: tell the client, drop the origin response.
        context.logger.error('pass-through response could not be relayed', { key, err: error });
        response.body.destroy();
        sendError(
          res,
          502,
          'bad_origin_response',
          'the origin response could not be relayed',
          context.edgeHeaders,
        );
        return;
      }
      const body = response.body;
      body.on('data', (chunk: Buffer) => {
        counters.originBytes += chunk.length;
        counters.bytesServed += chunk.length;
        if (!res.write(chunk)) {
          body.pause();
          res.once('drain', () => body.resume());
        }
      });
      body.on('end', () => res.end());
      body.on('error', (error: Error) => {
        if (!controller.signal.aborted) {
          counters.originBodyErrors++;
          context.logger.warn('pass-through body broke off', { key, err: error });
        }
        res.destroy();
      });
    },
    (error: unknown) => {
      if (controller.signal.aborted) return;
      counters.originFailures++;
      counters.gatewayErrors++;
      const unavailable = error instanceof OriginUnavailableError ? error : undefined;
      sendError(
        res,
        unavailable?.status ?? 502,
        unavailable?.code ?? 'origin_unavailable',
        error instanceof Error ? error.message : String(error),
        context.edgeHeaders,
        ['x-cache', 'MISS'],
      );
    },
  );
}
