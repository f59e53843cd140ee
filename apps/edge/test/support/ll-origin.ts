import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small LL-HLS origin for tests: one rendition at `/live/ll/720p.m3u8`, PARTS parts per
 * segment, published only when the test calls publish(). A playlist request with `_HLS_msn`
 * (and `_HLS_part`) is held until that part exists, and so is a request for a part not yet
 * published (the preload hint), as an LL-HLS origin does.
 */
export const PARTS = 3;
export const PLAYLIST = '/live/ll/720p.m3u8';

export function partPath(msn: number, part: number): string {
  return `/live/ll/part_${msn}_${part}.m4s`;
}

export class LlOrigin {
  /** Published parts, in order: [msn, part]. */
  private last: [number, number] = [-1, PARTS - 1];
  private waiters: Array<() => void> = [];
  readonly requests: string[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<LlOrigin> {
    const holder: { origin?: LlOrigin } = {};
    const server = createServer((req, res) => holder.origin!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    holder.origin = new LlOrigin(server, `http://127.0.0.1:${port}`);
    return holder.origin;
  }

  count(url: string): number {
    return this.requests.filter((request) => request === url).length;
  }

  /** Publish the next part, waking every request held for it. */
  publish(): [number, number] {
    const [msn, part] = this.last;
    this.last = part === PARTS - 1 ? [msn + 1, 0] : [msn, part + 1];
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
    return this.last;
  }

  private has(msn: number, part: number): boolean {
    const [lastMsn, lastPart] = this.last;
    return msn < lastMsn || (msn === lastMsn && part <= lastPart);
  }

  private async until(msn: number, part: number): Promise<void> {
    while (!this.has(msn, part)) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private playlist(): string {
    const [lastMsn, lastPart] = this.last;
    const lines = [
      '#EXTM3U',
      '#EXT-X-VERSION:9',
      '#EXT-X-TARGETDURATION:1',
      '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.0',
      '#EXT-X-PART-INF:PART-TARGET=0.333',
      '#EXT-X-MEDIA-SEQUENCE:0',
      '#EXT-X-MAP:URI="init.mp4"',
    ];
    for (let msn = 0; msn <= lastMsn; msn++) {
      const parts = msn < lastMsn ? PARTS : lastPart + 1;
      for (let part = 0; part < parts; part++) {
        lines.push(`#EXT-X-PART:DURATION=0.333,URI="part_${msn}_${part}.m4s"`);
      }
      if (parts === PARTS) lines.push('#EXTINF:1.0,', `seg_${msn}.m4s`);
    }
    const next = lastPart === PARTS - 1 ? [lastMsn + 1, 0] : [lastMsn, lastPart + 1];
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part_${next[0]}_${next[1]}.m4s"`);
    return `${lines.join('\n')}\n`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    this.requests.push(url);
    const { pathname, searchParams } = new URL(url, 'http://origin');
    void (async () => {
      if (pathname === PLAYLIST) {
        const msn = searchParams.get('_HLS_msn');
        if (msn !== null) await this.until(Number(msn), Number(searchParams.get('_HLS_part') ?? 0));
        res.writeHead(200, {
          'content-type': 'application/vnd.apple.mpegurl',
          'cache-control': 'max-age=1',
        });
        res.end(this.playlist());
        return;
      }
      const part = /^\/live\/ll\/part_(\d+)_(\d+)\.m4s$/.exec(pathname);
      if (part !== null) {
        await this.until(Number(part[1]), Number(part[2]));
        res.writeHead(200, {
          'content-type': 'video/iso.segment',
          'cache-control': 'public, max-age=31536000, immutable',
        });
        res.end(`part ${part[1]}.${part[2]}`);
        return;
      }
      res.writeHead(404, { 'cache-control': 'no-store' });
      res.end();
    })();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
