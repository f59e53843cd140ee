import { describe, expect, it } from 'vitest';
import { parseSimOptions, SimOptionsError } from '../src/sim/options.js';

describe('sim benchmark flags', () => {
  it('defaults to a three-size live flash-crowd sweep with validation at byte scales 1 and 64', () => {
    const options = parseSimOptions({});
    expect(options.sizes).toEqual([25, 100, 400]);
    expect(options.scenario).toBe('live-flash-crowd');
    expect(options.byteScales).toEqual([1, 64]);
    expect(options.validation).toBe(true);
    expect(options.sweep).toBe(true);
  });

  it.each([
    [{ sizes: '10,abc' }, /--sizes takes whole numbers/],
    [{ sizes: '1' }, /--sizes takes whole numbers in 2/],
    [{ scenario: 'nope' }, /--scenario must be one of/],
    [{ uplinks: 'fibre' }, /--uplinks must be one of/],
    [{ out: '../x' }, /--out takes a file name/],
    [{ reference: 'a/b' }, /--reference takes a file name/],
    [{ frobnicate: 'true' }, /unknown flag --frobnicate/],
  ])('refuses %j naming the flag', (flags, message) => {
    expect(() => parseSimOptions(flags)).toThrow(SimOptionsError);
    expect(() => parseSimOptions(flags)).toThrow(message);
  });
});
