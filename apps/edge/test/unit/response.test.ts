import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  HttpDateClock,
  hitBytes,
  hitTail,
  hitTemplate,
  type HitTemplate,
} from '../../src/fast/response.js';

/** What node:http writes for `writeHead(200, headers)` + `end(body)` (HEAD: no body). */
async function nodeBytes(headers: string[], body: Buffer, head: boolean): Promise<Buffer> {
  const server = createServer({ keepAliveTimeout: 30_000 }, (_req, res) => {
    res.writeHead(200, headers);
    res.end(head ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<Buffer>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        const all = Buffer.concat(chunks);
        const end = all.indexOf('\r\n\r\n');
        if (end >= 0 && all.length >= end + 4 + (head ? 0 : body.length)) {
          socket.destroy();
          resolve(all);
        }
      });
      socket.on('error', reject);
      socket.write(`${head ? 'HEAD' : 'GET'} / HTTP/1.1\r\nHost: x\r\n\r\n`);
    });
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

function template(headers: string[]): HitTemplate {
  const made = hitTemplate(headers);
  if (made === undefined) throw new Error('no template');
  return made;
}

const BODY = Buffer.from('#EXTM3U\n#EXT-X-TARGETDURATION:2\n');
const LIST = [
  'content-type',
  'application/vnd.apple.mpegurl',
  'cache-control',
  'max-age=1',
  'content-length',
  String(BODY.length),
  'x-cache',
  'HIT',
  'age',
  '7',
];

describe('fast-lane response bytes', () => {
  it.each([
    ['GET without a stored Date', LIST, false],
    ['HEAD without a stored Date', LIST, true],
    ['GET with a stored Date', ['date', 'Mon, 07 Dec 2026 11:00:00 GMT', ...LIST], false],
  ])('are what node:http writes: %s', async (_name, headers, head) => {
    const expected = await nodeBytes(headers, BODY, head);
    const text = expected.toString('latin1');
    // node:http's own Date, if it added one, is the one thing a test cannot know in advance.
    const date = /\r\nDate: ([^\r]+)\r\n/.exec(text)?.[1] ?? '';
    const made = template(headers);
    const tail = hitTail(made, 7, date, 30);
    expect(hitBytes(made, tail, head ? undefined : BODY).toString('latin1')).toBe(text);
    expect(made.addDate).toBe(date !== '');
  });

  it('refuses lists node:http would treat differently', () => {
    expect(hitTemplate(LIST.slice(0, -2))).toBeUndefined();
    expect(hitTemplate(['connection', 'close', ...LIST])).toBeUndefined();
    expect(hitTemplate(['transfer-encoding', 'chunked', ...LIST])).toBeUndefined();
    expect(hitTemplate(LIST.slice(6))).toBeUndefined();
    expect(hitTemplate(['x-bad', 'a\r\nb', ...LIST])).toBeUndefined();
    expect(hitTemplate(['bad name', 'a', ...LIST])).toBeUndefined();
  });

  it('makes Date as node:http does, once per second', () => {
    const clock = new HttpDateClock();
    const at = Date.UTC(2026, 11, 7, 12, 0, 0, 250);
    expect(clock.now(at)).toBe('Mon, 07 Dec 2026 12:00:00 GMT');
    expect(clock.now(at + 700)).toBe('Mon, 07 Dec 2026 12:00:00 GMT');
    expect(clock.now(at + 800)).toBe('Mon, 07 Dec 2026 12:00:01 GMT');
  });
});
