import { describe, expect, it } from 'vitest';
import { parseRange } from '../../src/http/range.js';

describe('parseRange', () => {
  it('parses the three single-range forms', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ kind: 'range', start: 0, end: 99 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ kind: 'range', start: 900, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ kind: 'range', start: 900, end: 999 });
    expect(parseRange('bytes=-5000', 1000)).toEqual({ kind: 'range', start: 0, end: 999 });
    expect(parseRange('bytes=990-5000', 1000)).toEqual({ kind: 'range', start: 990, end: 999 });
  });

  it('reports unsatisfiable ranges', () => {
    expect(parseRange('bytes=1000-', 1000)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 1000)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it('ignores what it does not serve: several ranges, other units, nonsense', () => {
    for (const header of [
      undefined,
      'bytes=0-1,3-4',
      'items=0-1',
      'bytes=5-1',
      'bytes=-',
      'bytes=a-b',
    ]) {
      expect(parseRange(header, 1000)).toEqual({ kind: 'none' });
    }
  });
});
