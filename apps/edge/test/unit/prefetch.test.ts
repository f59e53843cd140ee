import { describe, expect, it } from 'vitest';
import { liveSegmentsToPrefetch } from '../../src/hls/prefetch.js';

const live = [
  '#EXTM3U',
  '#EXT-X-VERSION:7',
  '#EXT-X-TARGETDURATION:2',
  '#EXT-X-MEDIA-SEQUENCE:40',
  '#EXT-X-MAP:URI="init.mp4"',
  '#EXTINF:2.000,',
  'seg_40.m4s',
  '#EXTINF:2.000,',
  'seg_41.m4s',
  '#EXTINF:2.000,',
  'seg_42.m4s',
  '',
].join('\n');

describe('liveSegmentsToPrefetch', () => {
  it('returns the init segment and the newest segments, resolved against the playlist', () => {
    expect(liveSegmentsToPrefetch('/live/s1/720p/index.m3u8', live, 2, 2048)).toEqual([
      '/live/s1/720p/init.mp4',
      '/live/s1/720p/seg_41.m4s',
      '/live/s1/720p/seg_42.m4s',
    ]);
  });

  it('normalises query strings in segment URIs like request keys', () => {
    const body = live.replace('seg_42.m4s', 'seg_42.m4s?b=2&a=1');
    expect(liveSegmentsToPrefetch('/live/s1/720p/index.m3u8', body, 1, 2048)).toEqual([
      '/live/s1/720p/init.mp4',
      '/live/s1/720p/seg_42.m4s?a=1&b=2',
    ]);
  });

  it('skips VOD and master playlists, disabled prefetch and non-playlists', () => {
    expect(
      liveSegmentsToPrefetch('/vod/a/720p/index.m3u8', `${live}#EXT-X-ENDLIST\n`, 2, 2048),
    ).toEqual([]);
    const master = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n720p/index.m3u8\n';
    expect(liveSegmentsToPrefetch('/live/s1/master.m3u8', master, 2, 2048)).toEqual([]);
    expect(liveSegmentsToPrefetch('/live/s1/720p/index.m3u8', live, 0, 2048)).toEqual([]);
    expect(liveSegmentsToPrefetch('/live/s1/720p/index.m3u8', '<html>', 2, 2048)).toEqual([]);
  });

  it('never follows URIs to other hosts, absolute paths or out of the tree', () => {
    const body = [
      '#EXTM3U',
      '#EXTINF:2,',
      'https://elsewhere.example/seg_1.m4s',
      '#EXTINF:2,',
      '//elsewhere.example/seg_2.m4s',
      '#EXTINF:2,',
      '/other/seg_3.m4s',
      '#EXTINF:2,',
      '../../../etc/passwd',
    ].join('\n');
    expect(liveSegmentsToPrefetch('/live/s1/720p/index.m3u8', body, 4, 2048)).toEqual([]);
  });
});
