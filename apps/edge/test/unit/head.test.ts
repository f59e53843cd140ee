import { describe, expect, it } from 'vitest';
import { MAX_HEAD_BYTES, parseHead, type SlowReason } from '../../src/fast/head.js';

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
    'X-Anything: 1',
  ])('refuses a field it does not know to be harmless: %s', (line) => {
    expect(reasonOf(head('GET /a HTTP/1.1', 'Host: e', line))).toBe('header-name');
  });

  it('refuses a field given twice (node:http would join or drop one)', () => {
    expect(reasonOf(head('GET /a HTTP/1.1', 'Host: e', 'Accept: a', 'accept: b'))).toBe(
      'duplicate-header',
    );
    expect(reasonOf(head('GET /a HTTP/1.1', 'Host: e', 'Host: f'))).toBe('duplicate-header');
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
