import { describe, expect, it } from 'vitest';
import { fetchPlaybackInfo, PlaybackInfoError } from '../src/playback-info.js';

const valid = {
  id: 'demo',
  kind: 'vod',
  manifestUrl: 'http://127.0.0.1:8081/vod/demo/master.m3u8',
  edge: { url: 'http://127.0.0.1:8081', region: 'eu-west' },
  trackerUrl: 'ws://127.0.0.1:8090/ws',
  token: 'eyJ.token',
  tokenExpiresAt: '2030-01-01T00:00:00.000Z',
  swarmId: 'demo',
  publicKey: 'A'.repeat(43),
};

function fakeFetch(status: number, body: unknown, seen: string[] = []): typeof fetch {
  return (async (input: string) => {
    seen.push(input);
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
}

describe('fetchPlaybackInfo', () => {
  it('asks the origin’s playback API and returns the validated answer', async () => {
    const seen: string[] = [];
    const info = await fetchPlaybackInfo('http://127.0.0.1:8080/', 'demo', {
      fetch: fakeFetch(200, valid, seen),
      region: 'us-east',
    });
    expect(seen).toEqual(['http://127.0.0.1:8080/api/playback/demo?region=us-east']);
    expect(info).toEqual(valid);
  });

  it('an origin error keeps its status and code', async () => {
    const error = await fetchPlaybackInfo('http://o', 'nope', {
      fetch: fakeFetch(404, {
        error: 'unknown_id',
        message: 'no video or live channel with id "nope"',
      }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlaybackInfoError);
    expect(error).toMatchObject({ status: 404, code: 'unknown_id' });
    expect((error as Error).message).toContain('no video or live channel');
  });

  it('an answer that is not playback info is refused, naming the field', async () => {
    const error = await fetchPlaybackInfo('http://o', 'demo', {
      fetch: fakeFetch(200, { ...valid, publicKey: 'short' }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlaybackInfoError);
    expect((error as Error).message).toMatch(/publicKey/);
  });

  it('an unreachable origin or a non-JSON answer is a PlaybackInfoError', async () => {
    const down = await fetchPlaybackInfo('http://o', 'demo', {
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
    }).catch((e: unknown) => e);
    expect(down).toMatchObject({ name: 'PlaybackInfoError', status: 0 });
    const html = await fetchPlaybackInfo('http://o', 'demo', {
      fetch: fakeFetch(502, '<html>bad gateway</html>'),
    }).catch((e: unknown) => e);
    expect(html).toMatchObject({ name: 'PlaybackInfoError', status: 502 });
  });
});
