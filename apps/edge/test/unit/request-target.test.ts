import { describe, expect, it } from 'vitest';
import { parseRequestTarget } from '../../src/http/request-target.js';

const key = (target: string) => {
  const result = parseRequestTarget(target, 2048);
  return result.ok ? result.key : `${result.status}`;
};

describe('parseRequestTarget', () => {
  it('keeps ordinary HLS paths as they are', () => {
    expect(key('/vod/abc-123/720p/seg_17.m4s')).toBe('/vod/abc-123/720p/seg_17.m4s');
    expect(key('/live/x/master.m3u8')).toBe('/live/x/master.m3u8');
    expect(key('/')).toBe('/');
    expect(key('/vod/a/')).toBe('/vod/a/');
    expect(key('/vod/.well-known')).toBe('/vod/.well-known');
  });

  it('decodes escaped unreserved characters and upper-cases other escapes', () => {
    expect(key('/vod/%61bc/seg%5F1.m4s')).toBe('/vod/abc/seg_1.m4s');
    expect(key('/vod/a%3ab')).toBe('/vod/a%3Ab');
    expect(key('/vod/a%20b')).toBe('/vod/a%20b');
  });

  it('sorts query parameters by name, keeps repeated names in order, drops empties', () => {
    expect(key('/a?b=2&a=1')).toBe('/a?a=1&b=2');
    expect(key('/a?x=2&a=1&x=1')).toBe('/a?a=1&x=2&x=1');
    expect(key('/a?&&b&')).toBe('/a?b');
    expect(key('/a?')).toBe('/a');
    expect(key('/a?t=%7e')).toBe('/a?t=~');
  });

  it('refuses traversal, encoded separators, control bytes and bad escapes', () => {
    for (const target of [
      '/..',
      '/a/../b',
      '/a/./b',
      '/a/%2E%2E/b',
      '/a/%2e/b',
      '/a%2fb',
      '/a%5Cb',
      '/a%00',
      '/a%0d%0a',
      '/a%7f',
      '/a%g0',
      '/a%',
      '/a//b',
      '//a',
      '/a b',
      '/a\\b',
      '/a?x=%zz',
      '/a?x=\u00e9',
      '*',
      'http://x/a',
    ]) {
      expect(key(target), target).toBe('400');
    }
  });

  it('refuses targets longer than the limit with 414', () => {
    expect(parseRequestTarget(`/${'a'.repeat(100)}`, 64)).toMatchObject({ ok: false, status: 414 });
  });
});
