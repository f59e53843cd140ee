import type { Server } from 'node:http';
import type { OperatorKeys } from '../auth/operator-keys.js';
import { declaredTooLarge } from '../vod/upload.js';

/**
 * `Expect: 100-continue` (curl sends it for large bodies): refuse an upload announced beyond
 * the limit before the client sends it, and let a control request without a valid operator
 * key get its 401 before sending its body; let everything else continue as usual.
 */
export function refuseOversizedBeforeContinue(
  server: Server,
  maxBytes: number,
  operatorKeys?: OperatorKeys,
): void {
  server.on('checkContinue', (req, res) => {
    if (
      operatorKeys !== undefined &&
      req.url?.startsWith('/api/') &&
      !operatorKeys.check(req.headers.authorization).ok
    ) {
      server.emit('request', req, res); // no 100 Continue: the app answers 401 at once
      return;
    }
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
