import { describe, expect, it } from 'vitest';
import { MAX_HEAD_BYTES, parseHead, type SlowReason } from '../../src/fast/head.js';
import { chromiumHeadLines } from '../support/chromium-head.js';

/** A head from lines, CRLF-joined and ended with the blank line. */
function head(...lines: string[]): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

function reasonOf(chunk: Buffer): SlowReason | 'ok' {
  const result = parseHead(chunk);
  return result.ok ? 'ok' : result.reason;
}

describe('fast-lane head parser', () => {
  it('accepts a plain GET and gives node:http-style headers (lower-case names, trimmed)', () => {
    const result = parseHead(
      head(
        'GET /live/a/index.m3u8?_HLS_msn=3 HTTP/1.1',
        'Host: edge:8081',
        'User-Agent:  wrk \t',
        'Accept: */*',
        'Connection: Keep-Alive',
      ),
    );
    expect(result).toEqual({
      ok: true,
      method: 'GET',
      target: '/live/a/index.m3u8?_HLS_msn=3',
      headers: { host: 'edge:8081', 'user-agent': 'wrk', accept: '*/*', connection: 'Keep-Alive' },
    });
  });

  it('accepts HEAD', () => {
    const result = parseHead(head('HEAD /a.m4s HTTP/1.1', 'Host: e'));
    expect(result.ok && result.method).toBe('HEAD');
  });

  it.each([
    ['POST /a HTTP/1.1', 'other methods'],
    ['OPTIONS /a HTTP/1.1', 'preflights'],
    ['get /a HTTP/1.1', 'a lower-case method'],
    ['GET /a HTTP/1.0', 'HTTP/1.0'],
    ['GET /a HTTP/2.0', 'other versions'],
    ['GET http://edge/a HTTP/1.1', 'absolute-form'],
    ['GET * HTTP/1.1', 'asterisk-form'],
    ['GET /a#frag HTTP/1.1', 'a fragment'],
    ['GET  /a HTTP/1.1', 'two spaces'],
    ['GET /a b HTTP/1.1', 'a space in the target'],
    ['GET /caf\u00e9 HTTP/1.1', 'a non-ASCII target'],
  ])('refuses the request line %j (%s)', (line) => {
    expect(reasonOf(head(line, 'Host: e'))).toBe('request-line');
  });

  it('refuses a head that is not whole in the chunk', () => {
    expect(reasonOf(Buffer.from('GET /a HTTP/1.1\r\nHost: e\r\n'))).toBe('incomplete');
    expect(reasonOf(Buffer.from('GET /a HTTP/1.1\nHost: e\n\n'))).toBe('incomplete');
  });

  it('refuses bytes after the head: a body or a pipelined request', () => {
    expect(reasonOf(Buffer.concat([head('GET /a HTTP/1.1', 'Host: e'), Buffer.from('x')]))).toBe(
      'trailing-bytes',
    );
    const two = head('GET /a HTTP/1.1', 'Host: e');
    expect(reasonOf(Buffer.concat([two, two]))).toBe('trailing-bytes');
  });

  it('refuses heads longer than its limit', () => {
    const long = head('GET /a HTTP/1.1', 'Host: e', `User-Agent: ${'x'.repeat(MAX_HEAD_BYTES)}`);
    expect(reasonOf(long)).toBe('too-large');
    expect(parseHead(head('GET /a HTTP/1.1', 'Host: e'), 20)).toEqual({
      ok: false,
      reason: 'too-large',
    });
  });

  /** What Chromium 120+ sends with hls.js's fetch for a playlist on another origin. */
  const CHROMIUM = chromiumHeadLines('/live/a/index.m3u8', {
    host: 'edge.example:8081',
    referer: 'https://player.example/watch?v=1',
  });

  it('accepts a whole Chromium fetch head, values as node:http gives them', () => {
    const result = parseHead(head(...CHROMIUM));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.keys(result.headers)).toHaveLength(CHROMIUM.length - 1);
    expect(result.headers['sec-ch-ua']).toBe(
      '"Not_A Brand";v="8", "Chromium";v="120", "Google Chrome";v="120"',
    );
    expect(result.headers.priority).toBe('u=1, i');
  });

  it.each([
    'User-Agent: Mozilla/5.0',
    'Accept: */*',
    'Accept-Encoding: identity',
    'Accept-Language: en-US,en;q=0.9',
    'Connection: keep-alive',
    'Origin: https://player.example',
    'Referer: https://player.example/',
    'Sec-Fetch-Dest: empty',
    'Sec-Fetch-Mode: cors',
    'Sec-Fetch-Site: same-site',
    'Sec-Fetch-User: ?1',
    'Sec-CH-UA: "Chromium";v="120"',
    'Sec-CH-UA-Mobile: ?1',
    'Sec-CH-UA-Platform: "Android"',
    'Priority: u=4',
    'DNT: 1',
    'Sec-GPC: 1',
    'X-Playback-Session-Id: 4E1B0E5A-0C51-4C5A-9C1B-1E0F5B6A7C8D',
  ])('accepts a field that cannot change a plain hit, in any case: %s', (line) => {
    const [name, value] = line.split(': ') as [string, string];
    for (const spelled of [name, name.toLowerCase(), name.toUpperCase()]) {
      const result = parseHead(head('GET /a HTTP/1.1', `${spelled}: ${value}`, 'Host: e'));
      expect(result.ok ? 'ok' : result.reason).toBe('ok');
      if (result.ok) expect(result.headers[name.toLowerCase()]).toBe(value);
    }
  });

  it.each([
    'Cache-Control: no-cache',
    'Pragma: no-cache',
    'Range: bytes=0-1',
    'Cookie: a=1',
    'Authorization: Basic eDp5',
  ])('refuses %s in any case of its name', (line) => {
    const [name, value] = line.split(': ') as [string, string];
    for (const spelled of [name.toLowerCase(), name.toUpperCase()]) {
      expect(reasonOf(head('GET /a HTTP/1.1', 'Host: e', `${spelled}: ${value}`))).toBe(
        'header-name',
      );
    }
  });

  it("refuses a Chromium head once it carries a reload's Cache-Control or Pragma", () => {
    expect(reasonOf(head(...CHROMIUM, 'Pragma: no-cache'))).toBe('header-name');
    expect(reasonOf(head(...CHROMIUM, 'Cache-Control: no-cache'))).toBe('header-name');
  });

  it.each([
    'Cookie: a=1',
    'Authorization: Bearer x',
    'Range: bytes=0-1',
    'If-None-Match: "x"',
    'If-Modified-Since: Mon, 07 Dec 2026 12:00:00 GMT',
    'If-Range: "x"',
    'Cache-Control: no-cache',
    'Pragma: no-cache',
    'Content-Length: 0',
    'Transfer-Encoding: chunked',
    'Expect: 100-continue',
    'Upgrade: websocket',
    'Keep-Alive: timeout=5',
    'TE: trailers',
    'If-Unmodified-Since: Mon, 07 Dec 2026 12:00:00 GMT',
    'If-Match: "x"',
    'Via: 1.1 proxy',
    'X-Forwarded-For: 10.0.0.1',
    'Access-Control-Request-Headers: range',
    'Sec-CH-UA-Arch: "x86"',
    'X-Anything: 1',
  ])('refuses a field it does not know to be harmless: %s', (line) => {
    expect(reasonOf(head('GET /a HTTP/1.1', 'Host: e', line))).toBe('header-name');
  });

  it('refuses a field given twice (node:http would join or drop one)', () => {
    expect(reasonOf(head('GET /a HTTP/1.1', 'Host: e', 'Accept: a', 'accept: b'))).toBe(
      'duplicate-header',
    );
    expect(reasonOf(head('GET /a HTTP/1.1', 'Host: e', 'Host: f'))).toBe('duplicate-header');
    expect(reasonOf(head('GET /a HTTP/1.1', 'Host: e', 'sec-ch-ua: a', 'Sec-CH-UA: b'))).toBe(
      'duplicate-header',
    );
  });

  it('refuses any Connection but keep-alive', () => {
    expect(reasonOf(head('GET /a HTTP/1.1', 'Host: e', 'Connection: close'))).toBe('connection');
    expect(reasonOf(head('GET /a HTTP/1.1', 'Host: e', 'Connection: keep-alive, Upgrade'))).toBe(
      'connection',
    );
    expect(reasonOf(head('GET /a HTTP/1.1', 'Host: e', 'Connection: keep-alive'))).toBe('ok');
  });

  it('refuses a request without a Host, or with an empty one', () => {
    expect(reasonOf(head('GET /a HTTP/1.1', 'Accept: */*'))).toBe('no-host');
    expect(reasonOf(head('GET /a HTTP/1.1', 'Host: '))).toBe('no-host');
  });

  it.each([
    [' folded', 'obs-fold'],
    ['Host : e', 'space before the colon'],
    ['Ho st: e', 'space in the name'],
    ['Accept: a\nHost: e', 'a bare LF'],
    ['Accept: a\rb', 'a bare CR'],
    ['NoColon', 'no colon'],
  ])('refuses the header line %j (%s)', (line) => {
    expect(reasonOf(head('GET /a HTTP/1.1', 'Host: e', line))).toBe('header-line');
  });

  it('refuses control bytes and non-ASCII in field values', () => {
    expect(reasonOf(head('GET /a HTTP/1.1', 'Host: e', 'Accept: a\u0000'))).toBe('header-value');
    expect(reasonOf(head('GET /a HTTP/1.1', 'Host: e', 'User-Agent: caf\u00e9'))).toBe(
      'header-value',
    );
  });
});
