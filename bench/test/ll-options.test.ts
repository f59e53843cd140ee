import { describe, expect, it } from 'vitest';
import { FlagError, parseFlags } from '../src/lib/flags.js';
import { llFlags } from '../src/ll/options.js';

describe('ll benchmark flags', () => {
  it('defaults to every mode once: LL with P2P, CDN-only LL, classic live', () => {
    expect(parseFlags(llFlags, {})).toEqual({
      viewers: 6,
      window: 30,
      part: 0.5,
      modes: ['p2p', 'cdn', 'classic'],
      rounds: 1,
    });
  });

  it('reads --modes as a list and --rounds as a count', () => {
    expect(parseFlags(llFlags, { modes: 'p2p,cdn', rounds: '2' })).toMatchObject({
      modes: ['p2p', 'cdn'],
      rounds: 2,
    });
  });

  it('refuses an unknown mode or flag, naming it', () => {
    expect(() => parseFlags(llFlags, { modes: 'p2p,fast' })).toThrow(FlagError);
    expect(() => parseFlags(llFlags, { round: '2' })).toThrow(/--round/);
  });
});
