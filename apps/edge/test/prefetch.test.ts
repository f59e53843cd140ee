import { afterEach, describe, expect, it } from 'vitest';
import { fetchRaw, startEdge, type RunningEdge } from './support/harness.js';
import { TestOrigin } from './support/test-origin.js';

let origin: TestOrigin;
let edge: RunningEdge;

afterEach(async () => {
  await edge.close();
  await origin.close();
});

function livePlaylist(first: number, last: number, ended = false): string {
  const lines = [
    '#EXTM3U',
    '#EXT-X-TARGETDURATION:2',
    `#EXT-X-MEDIA-SEQUENCE:${first}`,
    '#EXT-X-MAP:URI="init.mp4"',
  ];
  for (let n = first; n <= last; n++) lines.push('#EXTINF:2.000,', `seg_${n}.m4s`);
  if (ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

async function setup(overrides: Parameters<typeof startEdge>[1] = {}): Promise<void> {
  origin = await TestOrigin.start();
  edge = await startEdge(origin.url, overrides);
  const segment = { 'cache-control': 'public, max-age=31536000, immutable' };
  for (let n = 0; n < 10; n++) origin.serve(`/live/s1/720p/seg_${n}.m4s`, `segment ${n}`, segment);
  origin.serve('/live/s1/720p/init.mp4', 'init', segment);
}

describe('live playlist prefetch', () => {
  it('fetches the newest announced segments before anyone asks, once each', async () => {
    await setup({ PREFETCH_SEGMENTS: '2' });
    let body = livePlaylist(0, 2);
    origin.route('/live/s1/720p/index.m3u8', (_req, res) => {
      res.writeHead(200, {
        'cache-control': 'max-age=1',
        'content-type': 'application/vnd.apple.mpegurl',
      });
      res.end(body);
    });
    await fetchRaw(`${edge.url}/live/s1/720p/index.m3u8`);
    await edge.settled();
    expect(origin.count('/live/s1/720p/init.mp4')).toBe(1);
    expect(origin.count('/live/s1/720p/seg_0.m4s')).toBe(0);
    expect(origin.count('/live/s1/720p/seg_1.m4s')).toBe(1);
    expect(origin.count('/live/s1/720p/seg_2.m4s')).toBe(1);
    const segment = await fetchRaw(`${edge.url}/live/s1/720p/seg_2.m4s`);
    expect(segment.headers['x-cache']).toBe('HIT');
    expect(segment.body.toString()).toBe('segment 2');

    body = livePlaylist(1, 3);
    edge.advance(5000);
    await fetchRaw(`${edge.url}/live/s1/720p/index.m3u8`);
    await edge.settled();
    expect(origin.count('/live/s1/720p/seg_3.m4s')).toBe(1);
    expect(origin.count('/live/s1/720p/seg_2.m4s')).toBe(1); // already cached: not again
    expect(origin.count('/live/s1/720p/init.mp4')).toBe(1);
    expect(edge.edge.stats().requests.prefetches).toBe(4);
  });

  it('leaves VOD playlists alone and can be turned off', async () => {
    await setup({ PREFETCH_SEGMENTS: '0' });
    origin.serve('/live/s1/720p/index.m3u8', livePlaylist(0, 2), { 'cache-control': 'max-age=1' });
    origin.serve('/live/s1/720p/vod.m3u8', livePlaylist(0, 2, true), {
      'cache-control': 'max-age=60',
    });
    await fetchRaw(`${edge.url}/live/s1/720p/index.m3u8`);
    await edge.settled();
    expect(origin.requests.map((request) => request.url)).toEqual(['/live/s1/720p/index.m3u8']);
    await edge.close();
    edge = await startEdge(origin.url, { PREFETCH_SEGMENTS: '2' });
    await fetchRaw(`${edge.url}/live/s1/720p/vod.m3u8`);
    await edge.settled();
    expect(origin.requests.map((request) => request.url)).toEqual([
      '/live/s1/720p/index.m3u8',
      '/live/s1/720p/vod.m3u8',
    ]);
  });
});
