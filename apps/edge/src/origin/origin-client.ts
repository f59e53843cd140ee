import type { HttpHeaders } from '../http/headers.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, type Dispatcher } from 'undici';
import { OriginUnavailableError } from '../errors.js';

export type OriginBody = Dispatcher.ResponseData['body'];

export interface OriginResponse {
  readonly statusCode: number;
  readonly headers: HttpHeaders;
  readonly body: OriginBody;
  /** Attempts made, including this one. */
  readonly attempts: number;
}

export interface OriginAttempt {
  /** Time to response headers, or to the failure. */
  readonly latencyMs: number;
  /** 'status' when headers arrived (see statusCode), else what went wrong. */
  readonly outcome: 'status' | 'timeout' | 'unreachable';
  readonly statusCode?: number;
  readonly retrying: boolean;
}

export interface OriginClientOptions {
  readonly url: string;
  readonly connections: number;
  readonly timeoutMs: number;
  /** The longest per-call timeout a caller may ask for (blocking LL-HLS requests). */
  readonly longestTimeoutMs?: number;
  readonly bodyTimeoutMs: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  /** Observes every attempt (metrics). */
  readonly onAttempt?: (attempt: OriginAttempt) => void;
}

/** Statuses worth another attempt: the origin or something in front of it is struggling. */
const RETRY_STATUSES = new Set([500, 502, 503, 504]);
const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * GETs from the origin over a keep-alive pool (undici), with bounded retries on connection
 * errors, timeouts and 5xx. Retries happen only before the caller has seen a response, so no
 * client ever receives bytes from two attempts.
 */
export class OriginClient {
  private readonly pool: Pool;
  private readonly basePath: string;
  private closed = false;

  constructor(private readonly options: OriginClientOptions) {
    const url = new URL(options.url);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      // Backstops only: the per-attempt timer in get() enforces timeoutMs precisely.
      connectTimeout: options.timeoutMs + 1000,
      headersTimeout: Math.max(options.timeoutMs, options.longestTimeoutMs ?? 0) + 1000,
      bodyTimeout: options.bodyTimeoutMs,
    });
  }

  /** `path` is a normalised request target (`/a/b?x=1`); retried as described above. */
  async get(
    path: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
    method: 'GET' | 'HEAD' = 'GET',
    timeoutMs = this.options.timeoutMs,
  ): Promise<OriginResponse> {
    const attempts = this.options.retries + 1;
    for (let attempt = 1; ; attempt++) {
      const last = attempt === attempts;
      const startedMs = performance.now();
      // undici's own timeouts tick at ~1 s; this timer holds the configured bound to the ms.
      const attemptController = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        attemptController.abort(new Error(`no response headers within ${timeoutMs} ms`));
      }, timeoutMs);
      const forwardAbort = () => attemptController.abort(signal?.reason);
      signal?.addEventListener('abort', forwardAbort, { once: true });
      try {
        const response = await this.pool.request({
          path: this.basePath + path,
          method,
          headers,
          signal: attemptController.signal,
        });
        clearTimeout(timer);
        const latencyMs = performance.now() - startedMs;
        const retrying = !last && RETRY_STATUSES.has(response.statusCode) && !signal?.aborted;
        this.options.onAttempt?.({
          latencyMs,
          outcome: 'status',
          statusCode: response.statusCode,
          retrying,
        });
        if (!retrying) {
          response.body.once('close', () => signal?.removeEventListener('abort', forwardAbort));
          return { ...response, attempts: attempt };
        }
        signal?.removeEventListener('abort', forwardAbort);
        // Drain a little so the connection can be reused; destroy it if the body is large.
        await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      } catch (error) {
        clearTimeout(timer);
        signal?.removeEventListener('abort', forwardAbort);
        if (signal?.aborted || this.closed) throw error;
        const kind =
          timedOut || TIMEOUT_CODES.has(errorCode(error) ?? '') ? 'timeout' : 'unreachable';
        this.options.onAttempt?.({
          latencyMs: performance.now() - startedMs,
          outcome: kind,
          retrying: !last,
        });
        if (last) {
          const reason = timedOut
            ? `no response headers within ${timeoutMs} ms`
            : error instanceof Error
              ? error.message
              : String(error);
          throw new OriginUnavailableError(
            kind,
            `origin ${kind === 'timeout' ? 'timed out' : 'unreachable'} after ${attempt} attempt(s): ${reason}`,
            { cause: error },
          );
        }
      }
      const delayMs = this.options.retryDelayMs * 2 ** (attempt - 1);
      if (delayMs > 0) await sleep(delayMs, undefined, { signal });
    }
  }

  /** Finish what runs, then close the pool's connections. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }

  /** Cut every origin connection at once. Idempotent. */
  async destroy(): Promise<void> {
    this.closed = true;
    if (!this.pool.destroyed) await this.pool.destroy();
  }
}
