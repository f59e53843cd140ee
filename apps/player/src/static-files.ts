import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

export interface StaticFile {
  path: string;
  sizeBytes: number;
  contentType: string;
  /** Vite's hashed build assets never change under one name: cache them for good. */
  immutable: boolean;
  etag: string;
  stream(): NodeJS.ReadableStream;
}

/**
 * Map a URL path to a file of the built page. Paths that leave the folder, or contain NUL or
 * encoded separators, find nothing. A path without an extension is a page route: index.html.
 */
export async function findStaticFile(rootDir: string, urlPath: string): Promise<StaticFile | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const root = resolve(rootDir);
  const relative = decoded === '/' || extname(decoded) === '' ? '/index.html' : decoded;
  const path = resolve(join(root, relative));
  if (path !== root && !path.startsWith(root + sep)) return null;
  let info;
  try {
    info = await stat(path);
  } catch {
    return null;
  }
  if (!info.isFile()) return null;
  return {
    path,
    sizeBytes: info.size,
    contentType: CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    immutable: relative.startsWith('/assets/'),
    etag: `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`,
    stream: () => createReadStream(path),
  };
}
