import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { booleanFlag, FlagError, intFlag, parseFlags, splitBenchArgs } from '../src/lib/flags.js';

describe('splitBenchArgs', () => {
  it('takes names as positionals and flags in every form a user types', () => {
    expect(
      splitBenchArgs(['edge', '--rounds', '3', '--skip-nginx', '--duration=2', 'tracker', '--x']),
    ).toEqual({
      names: ['edge', 'tracker'],
      flags: { rounds: '3', skip_nginx: 'true', duration: '2', x: 'true' },
    });
  });

  it('a flag followed by another flag has no value: it is true', () => {
    expect(splitBenchArgs(['--skip-varnish', '--rounds', '1']).flags).toEqual({
      skip_varnish: 'true',
      rounds: '1',
    });
  });
});

describe('parseFlags', () => {
  const schema = z.object({ rounds: intFlag(1, 10, 5), skip_nginx: booleanFlag() });

  it('applies defaults and types what is given', () => {
    expect(parseFlags(schema, {})).toEqual({ rounds: 5, skip_nginx: false });
    expect(parseFlags(schema, splitBenchArgs(['--rounds', '2', '--skip-nginx']).flags)).toEqual({
      rounds: 2,
      skip_nginx: true,
    });
  });

  it('names an unknown flag as the user typed it', () => {
    expect(() => parseFlags(schema, { skip_ngnix: 'true' })).toThrow(
      new FlagError('unknown flag --skip-ngnix'),
    );
  });

  it('names a flag whose value is out of range or not a number', () => {
    expect(() => parseFlags(schema, { rounds: '0' })).toThrow(/^--rounds: /);
    expect(() => parseFlags(schema, { rounds: 'many' })).toThrow(FlagError);
    expect(() => parseFlags(schema, { skip_nginx: 'maybe' })).toThrow(/^--skip-nginx: /);
  });
});
