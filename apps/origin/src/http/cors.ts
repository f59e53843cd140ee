import type { RequestHandler } from 'express';

/** CORS for players and tools on other origins. `*` in the list allows any origin. */
export function cors(allowedOrigins: readonly string[]): RequestHandler {
  const any = allowedOrigins.includes('*');
  return (req, res, next) => {
    const origin = req.get('origin');
    if (any) {
      res.set('Access-Control-Allow-Origin', '*');
    } else {
      res.vary('Origin');
      if (origin !== undefined && allowedOrigins.includes(origin)) {
        res.set('Access-Control-Allow-Origin', origin);
      }
    }
    res.set(
      'Access-Control-Expose-Headers',
      'Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified, Age, X-Cache, Location',
    );
    if (req.method === 'OPTIONS') {
      res.set({
        'Access-Control-Allow-Methods': 'GET, HEAD, POST, DELETE, OPTIONS',
        'Access-Control-Allow-Headers':
          'Range, If-None-Match, If-Range, If-Modified-Since, Content-Type, Authorization, X-Coral-Region',
        'Access-Control-Max-Age': '600',
      });
      res.status(204).end();
      return;
    }
    next();
  };
}
