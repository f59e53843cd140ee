import { createHash } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface LoggedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** A resolvable promise, to hold an origin response until a test says go. */
export class Gate {
  readonly opened: Promise<void>;
  open!: () => void;
  constructor() {
    this.opened = new Promise((resolve) => (this.open = resolve));
  }
}

export function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
}

/**
 * A real HTTP origin on 127.0.0.1:0 whose routes a test programs: static objects (with ETag and
 * If-None-Match), or any handler (slow, failing, truncating, resetting).
 */
export class TestOrigin {
  readonly requests: LoggedRequest[] = [];
  private readonly routes = new Map<string, Handler>();
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<TestOrigin> {
    const holder: { origin?: TestOrigin } = {};
    const server = createServer((req, res) => {
      const origin = holder.origin!;
      origin.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const handler = origin.routes.get(req.url ?? '');
      if (handler === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
        res.end('not found');
        return;
      }
      Promise.resolve(handler(req, res)).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    holder.origin = new TestOrigin(server, `http://127.0.0.1:${port}`);
    return holder.origin;
  }

  route(path: string, handler: Handler): void {
    this.routes.set(path, handler);
  }

  /** A static object: 200 with ETag and Content-Length, 304 for a matching If-None-Match. */
  serve(path: string, body: Buffer | string, headers: Record<string, string> = {}): void {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const etag = headers.etag ?? etagOf(bytes);
    this.route(path, (req, res) => {
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag, ...headers });
        res.end();
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(bytes.length),
        etag,
        ...headers,
      });
      res.end(bytes);
    });
  }

  /** How many requests reached this path. */
  count(path: string): number {
    return this.requests.filter((request) => request.url === path).length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Deterministic pseudo-random bytes (distinct per seed), so bodies can be compared. */
export function bytes(sizeBytes: number, seed = 1): Buffer {
  const words = new Uint32Array(Math.ceil(sizeBytes / 4));
  let state = (seed * 2_654_435_761) >>> 0;
  for (let i = 0; i < words.length; i++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    words[i] = state;
  }
  return Buffer.from(words.buffer, 0, sizeBytes);
}
