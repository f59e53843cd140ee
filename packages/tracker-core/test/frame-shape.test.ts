import { describe, expect, it } from 'vitest';
import { checkFrameShape, CLIENT_FRAME_LIMITS, type FrameShapeLimits } from '../src/frame-shape.js';

const limits: FrameShapeLimits = { maxKeys: 4, maxDepth: 2, maxItems: 3, maxStringChars: 5 };

describe('checkFrameShape', () => {
  it('passes text within every limit, at the limits', () => {
    expect(checkFrameShape('{"a":"12345","b":[1,2,3],"c":{"d":1}}', limits)).toEqual({ ok: true });
  });

  it.each([
    ['maxKeys', '{"a":1,"b":2,"c":3,"d":4,"e":5}'],
    ['maxDepth', '{"a":{"b":[1]}}'],
    ['maxItems', '{"a":[1,2,3,4]}'],
    ['maxItems', '{"a":[1,2],"b":[3,4]}'],
    ['maxStringChars', '{"a":"123456"}'],
    ['maxStringChars', '{"123456":1}'],
  ] as const)('refuses text beyond %s', (limit, text) => {
    expect(checkFrameShape(text, limits)).toMatchObject({ ok: false, limit });
  });

  it('does not count colons, commas or brackets inside strings, escaped quotes included', () => {
    expect(checkFrameShape('{"a":"\\":,[{"}', { ...limits, maxStringChars: 6 })).toEqual({
      ok: true,
    });
    expect(checkFrameShape('{"a":"[[[["}', limits)).toEqual({ ok: true });
    expect(checkFrameShape('{"a":",,,,"}', { ...limits, maxItems: 0 })).toEqual({ ok: true });
  });

  it('counts the commas of objects as no items, and an empty array as one', () => {
    expect(checkFrameShape('{"a":1,"b":2,"c":3}', { ...limits, maxItems: 0 })).toEqual({
      ok: true,
    });
    expect(checkFrameShape('{"a":[]}', { ...limits, maxItems: 0 })).toMatchObject({ ok: false });
  });

  it('lets the largest legitimate messages through and refuses a padded one', () => {
    const have = {
      type: 'have',
      swarmId: 's/r',
      added: [...Array(1024).keys()],
      lost: [...Array(1024).keys()],
    };
    expect(checkFrameShape(JSON.stringify(have), CLIENT_FRAME_LIMITS)).toEqual({ ok: true });
    const sdp = 'x'.repeat(32 * 1024);
    const signal = {
      type: 'signal',
      swarmId: 's/r',
      to: 'p',
      signal: { kind: 'offer', connectionId: 'c', sdp },
    };
    expect(checkFrameShape(JSON.stringify(signal), CLIENT_FRAME_LIMITS)).toEqual({ ok: true });
    const padded: Record<string, unknown> = { type: 'ping' };
    for (let i = 0; i < 6000; i++) padded[`k${i}`] = 1;
    expect(checkFrameShape(JSON.stringify(padded), CLIENT_FRAME_LIMITS)).toMatchObject({
      ok: false,
      limit: 'maxKeys',
    });
  });
});
