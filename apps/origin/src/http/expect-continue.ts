import type { Server } from 'node:http';
import { declaredTooLarge } from '../vod/upload.js';

/**
 * `Expect: 100-continue` (curl sends it for large bodies): refuse an upload announced beyond
 * the limit before the client sends it; let everything else continue as usual.
 */
export function refuseOversizedBeforeContinue(server: Server, maxBytes: number): void {
  server.on('checkContinue', (req, res) => {
    if (
      req.method === 'POST' &&
      req.url?.startsWith('/api/videos') &&
      declaredTooLarge(req, maxBytes)
    ) {
      const body = JSON.stringify({
        error: 'upload_too_large',
        message: `the upload is larger than the limit of ${maxBytes} bytes`,
      });
      res.writeHead(413, {
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'close',
      });
      res.end(body);
      return;
    }
    res.writeContinue();
    server.emit('request', req, res);
  });
}
