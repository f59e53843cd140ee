import { uploadSlotsFor } from '@coral-cdn/p2p-engine';
import { describe, expect, it } from 'vitest';
import type { ViewerProfile } from '../src/population.js';
import { scaledEngineConfig } from '../src/simulate.js';
import type { SimSpec } from '../src/spec.js';

const viewer = (uploadCapBitsPerSec: number): ViewerProfile => ({
  uplinkBitsPerSec: uploadCapBitsPerSec,
  downlinkBitsPerSec: 100_000_000,
  connectionType: 'ethernet',
  region: 'eu',
  nat: 'cone',
  lossRate: 0,
  rendition: '720p',
  uploadCapBitsPerSec,
});

describe('engine settings at a byte scale', () => {
  it.each([1, 64])(
    'byte scale %i: the upload slots are those of the real cap (one per real Mbit/s)',
    (byteScale) => {
      const spec = { byteScale, engine: {}, p2p: true } as unknown as SimSpec;
      const slotsOf = (capBitsPerSec: number) => {
        const config = scaledEngineConfig(spec, viewer(capBitsPerSec));
        return uploadSlotsFor(6, config.uploadCapBitsPerSec!, config.minUploadSlotBitsPerSec!);
      };
      expect(slotsOf(20_000_000)).toBe(6);
      expect(slotsOf(3_000_000)).toBe(3);
      expect(slotsOf(1_000_000)).toBe(1);
    },
  );
});
