import type { LiveManifest } from '@coral-cdn/protocol';
import { describe, expect, it } from 'vitest';
import { manifestFrom } from '../src/live/ll/manifest-window.js';

const hash = 'a'.repeat(64);
const signature = 'b'.repeat(86);

function manifest(): LiveManifest {
  const segments = [10, 11, 12].map((sequence) => ({
    sequence,
    uri: `seg_${sequence}.m4s`,
    sha256: hash,
    sizeBytes: 1000,
    durationSec: 2,
    signature,
  }));
  const parts = [11, 12, 13].flatMap((sequence) =>
    [0, 1, 2, 3].map((part) => ({
      sequence,
      part,
      uri: `part_${sequence}_${part}.m4s`,
      sha256: hash,
      sizeBytes: 250,
      durationSec: 0.5,
      independent: part === 0,
      signature,
    })),
  );
  return { v: 1, kind: 'live', streamId: 'll', rendition: '240p', init: null, segments, parts };
}

describe('manifestFrom (a blocking integrity.json answer)', () => {
  it('keeps the asked part and those after it, and the segment before it whole', () => {
    const trimmed = manifestFrom(manifest(), { msn: 13, part: 2 });
    expect(trimmed.parts!.map((p) => `${p.sequence}.${p.part}`)).toEqual(['13.2', '13.3']);
    expect(trimmed.segments.map((s) => s.sequence)).toEqual([12]);
    expect(trimmed).toMatchObject({ streamId: 'll', rendition: '240p', kind: 'live' });
  });

  it('asked for a segment only, keeps all its parts', () => {
    const trimmed = manifestFrom(manifest(), { msn: 12, part: null });
    expect(trimmed.parts!.map((p) => `${p.sequence}.${p.part}`)).toEqual([
      '12.0',
      '12.1',
      '12.2',
      '12.3',
      '13.0',
      '13.1',
      '13.2',
      '13.3',
    ]);
    expect(trimmed.segments.map((s) => s.sequence)).toEqual([11, 12]);
  });
});
