import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from '@coral-cdn/test-support';

/**
 * The page a user would otherwise run: hls.js's own minified build from a `<script>` tag, on
 * the manifest URL given as `?src=`, autoplaying muted. No Coral code at all.
 */
const PAGE = `<!doctype html>
<html>
  <head><meta charset="utf-8" /><title>plain hls.js</title></head>
  <body>
    <video id="video" controls muted playsinline></video>
    <script src="/hls.min.js"></script>
    <script>
      const video = document.getElementById('video');
      const src = new URLSearchParams(location.search).get('src');
      const hls = new Hls();
      hls.attachMedia(video);
      hls.loadSource(src);
      video.play().catch(() => undefined);
    </script>
  </body>
</html>
`;

export interface PlainPageServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serve the plain hls.js page and hls.js's script on loopback. */
export async function startPlainPage(): Promise<PlainPageServer> {
  // The hls.js the Coral adapter is built and tested against.
  const requireFromAdapter = createRequire(join(repoRoot, 'packages', 'hlsjs', 'package.json'));
  const script = readFileSync(requireFromAdapter.resolve('hls.js/dist/hls.min.js'));
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://page').pathname;
    if (path === '/hls.min.js') {
      response.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-cache' });
      response.end(script);
    } else if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(PAGE);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
