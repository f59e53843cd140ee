import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http';
import { createLogger } from '@coral-cdn/server-kit';
import { waitFor } from '@coral-cdn/test-support';
import { edgeConfig, type EdgeConfig } from '../../src/config.js';
import { createEdge, type Edge } from '../../src/edge.js';

export interface RunningEdge {
  readonly edge: Edge;
  readonly url: string;
  readonly config: EdgeConfig;
  /** Move the edge's clock forward (objects expire without sleeping). */
  advance(ms: number): void;
  /** Wait until no origin fetch is in flight (background refreshes included). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** An in-process edge on 127.0.0.1:0 with a frozen, movable clock. */
export async function startEdge(
  originUrl: string,
  overrides: Partial<Record<keyof EdgeConfig, string>> = {},
): Promise<RunningEdge> {
  const config = edgeConfig({
    ORIGIN_URL: originUrl,
    EDGE_REGION: 'test-region',
    ORIGIN_TIMEOUT_MS: '2000',
    ORIGIN_RETRY_DELAY_MS: '10',
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...overrides,
  });
  // A frozen clock that only tests move: ages and expiry do not depend on machine load.
  const startMs = Date.now();
  let offsetMs = 0;
  const logger = createLogger({
    service: 'edge',
    level: process.env.EDGE_TEST_LOG ? 'debug' : 'silent',
  });
  const edge = await createEdge(config, { logger, now: () => startMs + offsetMs });
  const url = await edge.listen(0);
  return {
    edge,
    url,
    config,
    advance: (ms) => {
      offsetMs += ms;
    },
    settled: async () => {
      await waitFor('origin fetches to settle', () => edge.stats().inflightFills === 0, {
        timeoutMs: 10_000,
        intervalMs: 10,
      });
    },
    close: () => edge.close(),
  };
}

export interface Fetched {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request on a fresh connection; resolves with the whole body, rejects if it breaks off. */
export function fetchRaw(
  url: string,
  options: { method?: string; headers?: OutgoingHttpHeaders } = {},
): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: false,
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
    });
    req.on('error', reject);
    req.end();
  });
}
