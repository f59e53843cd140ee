import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

export interface StaticServer {
  url: string;
  /** Paths requested so far (in order), e.g. `/vod1/240p/seg_3.m4s`. */
  requests: string[];
  /** Body bytes sent so far per path. */
  bytesSent: Map<string, number>;
  close(): Promise<void>;
}

const types: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.json': 'application/json',
};

/** A small CDN stand-in: serves a folder over HTTP on loopback, with `Range: bytes=` support. */
export async function startStaticServer(root: string): Promise<StaticServer> {
  const requests: string[] = [];
  const bytesSent = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent((request.url ?? '/').split('?')[0]!);
    requests.push(path);
    const file = normalize(join(root, path));
    if (!file.startsWith(root)) {
      response.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (bytes) => {
        let body = bytes;
        let status = 200;
        const headers: Record<string, string> = {
          'content-type': types[extname(file)] ?? 'application/octet-stream',
          'accept-ranges': 'bytes',
          'cache-control': 'no-cache',
        };
        const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
        if (range) {
          const start = Number(range[1]);
          const end = range[2]
            ? Math.min(Number(range[2]), bytes.byteLength - 1)
            : bytes.byteLength - 1;
          if (start >= bytes.byteLength || start > end) {
            response.writeHead(416, { 'content-range': `bytes */${bytes.byteLength}` }).end();
            return;
          }
          body = bytes.subarray(start, end + 1);
          status = 206;
          headers['content-range'] = `bytes ${start}-${end}/${bytes.byteLength}`;
        }
        headers['content-length'] = String(body.byteLength);
        bytesSent.set(path, (bytesSent.get(path) ?? 0) + body.byteLength);
        response.writeHead(status, headers).end(body);
      },
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    bytesSent,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
