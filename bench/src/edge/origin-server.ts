/**
 * The benchmark's origin, and its "origin served directly" baseline: a plain node:http server
 * with every object in memory and its headers precomputed, so it is as fast as Node serves
 * bytes. Run as its own process: `node origin-server.js` with PORT (and HOST) set.
 * GET /count answers how many content requests it has served (to prove hits stay hits).
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { benchObjects } from './objects.js';

const objects = new Map<string, { headers: string[]; body: Buffer }>();
for (const object of benchObjects()) {
  const etag = `"${createHash('sha256').update(object.body).digest('hex').slice(0, 16)}"`;
  objects.set(object.path, {
    body: object.body,
    headers: [
      'content-type',
      object.contentType,
      'content-length',
      String(object.body.length),
      'cache-control',
      object.cacheControl,
      'etag',
      etag,
    ],
  });
}

let served = 0;
const server = createServer((req, res) => {
  const object = objects.get(req.url ?? '');
  if (object !== undefined) {
    served++;
    res.writeHead(200, object.headers);
    res.end(req.method === 'HEAD' ? undefined : object.body);
  } else if (req.url === '/healthz') {
    res.end('ok');
  } else if (req.url === '/count') {
    res.end(JSON.stringify({ served }));
  } else {
    res.writeHead(404);
    res.end();
  }
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections(); // proxies keep pooled connections open
});
