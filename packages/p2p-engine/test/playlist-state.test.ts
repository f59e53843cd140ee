import { describe, expect, it } from 'vitest';
import { PlaylistState, type SegmentInfo } from '../src/playlist-state.js';

/** The plain definition segmentsBetween must keep: a filter over every segment, by sequence. */
function reference(segments: readonly SegmentInfo[], fromSec: number, toSec: number) {
  return segments
    .filter((s) => s.startSec + s.durationSec > fromSec && s.startSec < toSec)
    .sort((a, b) => a.sequence - b.sequence)
    .map((s) => s.sequence);
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('PlaylistState.segmentsBetween', () => {
  it.each([
    ['a contiguous timeline', false],
    ['overlapping, out-of-order starts listed backwards', true],
  ])('matches a plain filter over %s, across updates', (_name, shuffled) => {
    const random = seeded(shuffled ? 7 : 3);
    const state = new PlaylistState();
    let all: SegmentInfo[] = [];
    let startSec = 0;
    for (let round = 0; round < 20; round++) {
      const segments = [];
      for (let i = 0; i < 5; i++) {
        const sequence = round * 5 + i;
        const durationSec = 1 + random() * 4;
        const start = shuffled ? random() * 200 : startSec;
        startSec += durationSec;
        segments.push({ sequence, url: `s${sequence}.ts`, startSec: start, durationSec });
      }
      // The shuffled timeline also lists each update's entries backwards.
      if (shuffled) segments.reverse();
      state.update({ rendition: 'r', playlistUrl: 'r.m3u8', live: false, segments }, round);
      all = [...all, ...segments.map((s) => ({ ...s, rendition: 'r' }))];
      for (let probe = 0; probe < 20; probe++) {
        const from = random() * 220 - 10;
        const to = probe % 4 === 0 ? Infinity : from + random() * 40;
        expect(state.segmentsBetween('r', from, to).map((s) => s.sequence)).toEqual(
          reference(all, from, to),
        );
      }
    }
  });

  it('forgets a live rendition’s old entries and sees new ones at once', () => {
    const state = new PlaylistState();
    const segment = (sequence: number) => ({
      sequence,
      url: `s${sequence}.ts`,
      startSec: sequence * 2,
      durationSec: 2,
    });
    state.update({ rendition: 'r', playlistUrl: 'r.m3u8', live: true, segments: [segment(0)] }, 0);
    expect(state.segmentsBetween('r', 0, Infinity).map((s) => s.sequence)).toEqual([0]);
    state.update(
      { rendition: 'r', playlistUrl: 'r.m3u8', live: true, segments: [segment(100)] },
      1,
    );
    expect(state.segmentsBetween('r', 0, Infinity).map((s) => s.sequence)).toEqual([100]);
  });
});
