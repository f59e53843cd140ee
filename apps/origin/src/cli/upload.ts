import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename } from 'node:path';
import { randomToken } from '../fs-util.js';

export interface UploadResponse {
  readonly status: number;
  readonly body: unknown;
}

function readBody(response: IncomingMessage): Promise<UploadResponse> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (text += chunk));
    response.on('error', reject);
    response.on('end', () => {
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      resolve({ status: response.statusCode ?? 0, body });
    });
  });
}

/**
 * POST a file to `<origin>/api/videos` as multipart/form-data, streaming it from disk and
 * reporting bytes sent. Text fields go first so that the origin can refuse a bad id early.
 */
export async function uploadVideo(options: {
  originUrl: string;
  /** Operator API key (Authorization: Bearer). */
  apiKey: string;
  path: string;
  fields: Record<string, string>;
  onProgress?: (sentBytes: number, totalBytes: number) => void;
}): Promise<UploadResponse> {
  const size = (await stat(options.path)).size;
  const boundary = `----coral-${randomToken(12)}`;
  const filename = basename(options.path).replace(/["\r\n]/g, '_');
  const head =
    Object.entries(options.fields)
      .map(
        ([name, value]) =>
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      )
      .join('') +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
    'Content-Type: application/octet-stream\r\n\r\n';
  const tail = `\r\n--${boundary}--\r\n`;
  const url = new URL('/api/videos', options.originUrl);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    const req = request(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.apiKey}`,
        // The origin refuses a bad key or an oversized file before the body is sent.
        expect: '100-continue',
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': Buffer.byteLength(head) + size + Buffer.byteLength(tail),
      },
    });
    // The origin may answer before the body ends (a refused id, a file too large).
    req.on('response', (response) => {
      settled = true;
      readBody(response).then(resolve, reject);
    });
    req.on('error', (error) => {
      if (!settled) reject(error);
    });
    const send = async () => {
      req.write(head);
      let sent = 0;
      for await (const chunk of createReadStream(options.path)) {
        if (settled || req.destroyed) return;
        const bytes = chunk as Buffer;
        if (!req.write(bytes)) await new Promise((done) => req.once('drain', done));
        sent += bytes.byteLength;
        options.onProgress?.(sent, size);
      }
      req.end(tail);
    };
    req.once('continue', () => {
      send().catch((error: unknown) => {
        if (!settled) reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
    req.flushHeaders();
  });
}
