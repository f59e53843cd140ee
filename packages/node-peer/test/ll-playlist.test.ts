import { describe, expect, it } from 'vitest';
import { parseLlPlaylist } from '../src/ll-playlist.js';

/** As the origin renders an LL playlist: parts of recent segments, then the segment in progress. */
function playlist(first: number, complete: number, partsInProgress: number): string {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    '#EXT-X-TARGETDURATION:2',
    '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.500',
    '#EXT-X-PART-INF:PART-TARGET=0.500',
    `#EXT-X-MEDIA-SEQUENCE:${first}`,
    '#EXT-X-MAP:URI="init_0.mp4"',
  ];
  for (let sequence = first; sequence < first + complete; sequence++) {
    for (let part = 0; part < 4; part++)
      lines.push(
        `#EXT-X-PART:DURATION=0.500,URI="part_${sequence}_${part}.m4s"${part === 0 ? ',INDEPENDENT=YES' : ''}`,
      );
    lines.push('#EXTINF:2.000,', `seg_${sequence}.m4s`);
  }
  const current = first + complete;
  for (let part = 0; part < partsInProgress; part++)
    lines.push(`#EXT-X-PART:DURATION=0.500,URI="part_${current}_${part}.m4s"`);
  lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part_${current}_${partsInProgress}.m4s"`);
  return lines.join('\n') + '\n';
}

describe('parseLlPlaylist', () => {
  it('places segments and parts, the parts in progress after the last segment', () => {
    const parsed = parseLlPlaylist(playlist(10, 2, 3), new Map())!;
    expect(parsed.partTargetSec).toBe(0.5);
    expect(parsed.segments.map((s) => [s.sequence, s.startSec])).toEqual([
      [10, 0],
      [11, 2],
    ]);
    expect(parsed.parts.slice(-3).map((p) => [p.sequence, p.part, p.uri, p.startSec])).toEqual([
      [12, 0, 'part_12_0.m4s', 4],
      [12, 1, 'part_12_1.m4s', 4.5],
      [12, 2, 'part_12_2.m4s', 5],
    ]);
    expect(parsed.parts[5]).toMatchObject({ sequence: 11, part: 1, startSec: 2.5 });
  });

  it('keeps the timeline of an earlier reload when the window slides', () => {
    const first = parseLlPlaylist(playlist(10, 2, 3), new Map())!;
    const starts = new Map(first.segments.map((s) => [s.sequence, s.startSec]));
    starts.set(12, 4);
    const later = parseLlPlaylist(playlist(11, 2, 1), starts)!;
    expect(later.segments.map((s) => [s.sequence, s.startSec])).toEqual([
      [11, 2],
      [12, 4],
    ]);
    expect(later.parts.at(-1)).toMatchObject({ sequence: 13, part: 0, startSec: 6 });
  });

  it('refuses a playlist that shares nothing with the known timeline, and non-playlists', () => {
    expect(parseLlPlaylist(playlist(40, 2, 1), new Map([[10, 0]]))).toBeNull();
    expect(parseLlPlaylist('<html>', new Map())).toBeNull();
  });
});
