import Hls from 'hls.js';
import type { LoaderStats } from 'hls.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { classifyLoad, DoubleLoadTracker, emptyDoubleLoadStats } from '../src/double-loads.js';
import { CoralHlsIntegration } from '../src/integration.js';
import { createLoaderStats } from '../src/loader-stats.js';
import { FakeHls, levelDetails } from './support/fake-hls.js';
import {
  FakeClock,
  FakeDefaultLoader,
  FakePartEngine,
  flush,
  fragContext,
  hlsConfigWithFakeLoader,
  loaderConfig,
  recordingCallbacks,
  type FragOptions,
} from './support/fakes.js';

const E = Hls.Events;
const MASTER = 'http://edge.test/live/ll';
const timing = { startedAtMs: 0, firstByteAtMs: 1, endedAtMs: 2 };

function setup(engine: FakePartEngine | null) {
  const integration = new CoralHlsIntegration({ engine, clock: new FakeClock() });
  const hls = new FakeHls();
  hls.levels = [{ url: [`${MASTER}/240p/index.m3u8`] }, { url: [`${MASTER}/480p/index.m3u8`] }];
  integration.attach(hls.asHls());
  for (const [level, rendition] of ['240p', '480p'].entries()) {
    const details = levelDetails(`${MASTER}/${rendition}/index.m3u8`, [
      { sn: 7, start: 0 },
      { sn: 8, start: 2 },
    ]);
    hls.levels[level]!.details = details;
    hls.trigger(E.LEVEL_LOADED, { level, details, stats: createLoaderStats() });
  }
  return { integration, hls };
}

/** hls.js loads one fragment or part with the integration's loader; resolves once delivered. */
async function load(integration: CoralHlsIntegration, options: FragOptions) {
  const loader = new integration.hlsConfig.fLoader!(hlsConfigWithFakeLoader);
  const recorded = recordingCallbacks();
  loader.load(fragContext(options), loaderConfig(), recorded.callbacks);
  await flush();
  return recorded;
}

beforeEach(() => {
  FakeDefaultLoader.instances = [];
});

describe('double loads: what one more load of a segment’s media is', () => {
  it('names a whole segment after its parts, a part after its segment, and repeats', () => {
    const parts = (...indices: number[]) => ({ whole: false, parts: new Set(indices) });
    expect(classifyLoad(undefined, null)).toBeNull();
    expect(classifyLoad(undefined, 0)).toBeNull();
    expect(classifyLoad(parts(0, 1), 2)).toBeNull();
    expect(classifyLoad(parts(0, 1), null)).toBe('segmentsAfterParts');
    expect(classifyLoad(parts(0, 1), 1)).toBe('partsTwice');
    expect(classifyLoad({ whole: true, parts: new Set() }, 0)).toBe('partsAfterSegment');
    expect(classifyLoad({ whole: true, parts: new Set() }, null)).toBe('segmentsTwice');
    expect(classifyLoad({ whole: true, parts: new Set([0]) }, 0)).toBe('partsTwice');
  });

  it('keys by rendition: the same sequence in another rendition is other media', () => {
    const tracker = new DoubleLoadTracker();
    const load = { sequence: 3, sizeBytes: 10, fromMemory: false };
    tracker.record({ ...load, rendition: '240p', part: 0 });
    tracker.record({ ...load, rendition: '480p', part: 0 });
    tracker.record({ ...load, rendition: '480p', part: null });
    expect(tracker.stats).toEqual({
      ...emptyDoubleLoadStats(),
      segmentsAfterParts: 1,
      downloadedBytes: 10,
    });
  });

  it('forgets the oldest segments, not the ones in use', () => {
    const tracker = new DoubleLoadTracker();
    const load = { rendition: '240p', part: 0, sizeBytes: 1, fromMemory: false };
    tracker.record({ ...load, sequence: 0 });
    for (let sequence = 1; sequence < 200; sequence++) {
      tracker.record({ ...load, sequence });
      tracker.record({ ...load, sequence: 0, part: sequence });
    }
    tracker.record({ ...load, sequence: 0, part: 0 });
    tracker.record({ ...load, sequence: 1 });
    expect(tracker.stats.partsTwice).toBe(1);
  });
});

describe('double loads in the adapter’s stats (window.coral.stats.doubleLoads)', () => {
  it('counts parts loaded twice and whole segments after parts, through the engine or not', async () => {
    const engine = new FakePartEngine();
    const { integration } = setup(engine);
    // Before the engine exists hls.js loads parts itself: part 7.0 comes that way...
    engine.waiting = true;
    await load(integration, { sn: 7, part: 0, level: 0 });
    FakeDefaultLoader.instances.at(-1)!.succeed(new ArrayBuffer(900));
    engine.waiting = false;
    // ... then again through the engine (a retry), and part 7.1 once.
    await load(integration, { sn: 7, part: 0, level: 0 });
    await load(integration, { sn: 7, part: 1, level: 0 });
    expect(engine.partLoads.map((p) => [p.sequence, p.part])).toEqual([
      [7, 0],
      [7, 1],
    ]);
    expect(integration.stats.doubleLoads).toEqual({
      ...emptyDoubleLoadStats(),
      partsTwice: 1,
      downloadedBytes: 1_000,
    });

    // Segment 7 whole after its parts: once from the engine's memory (no download), once
    // downloaded; part 7.2 after that. The same sequence of 480p is other media.
    await load(integration, { sn: 7, level: 0 });
    engine.loads[0]!.resolve({
      bytes: new Uint8Array(4_000),
      source: 'p2p',
      cdnReason: null,
      timing,
      fromStore: true,
    });
    await flush();
    await load(integration, { sn: 7, level: 0 });
    engine.loads[1]!.resolve({
      bytes: new Uint8Array(4_000),
      source: 'http',
      cdnReason: 'deadline',
      timing,
      fromStore: false,
    });
    await flush();
    await load(integration, { sn: 7, part: 2, level: 0 });
    await load(integration, { sn: 7, part: 0, level: 1 });
    expect(integration.stats.doubleLoads).toEqual({
      segmentsAfterParts: 1,
      segmentsTwice: 1,
      partsAfterSegment: 1,
      partsTwice: 1,
      downloadedBytes: 1_000 + 4_000 + 1_000,
    });
  });

  it('counts them with P2P off too (from hls.js’s FRAG_LOADED), for comparison', () => {
    const { integration, hls } = setup(null);
    const stats = (loaded: number): LoaderStats => ({ ...createLoaderStats(), loaded });
    const frag = { sn: 8, type: 'main', level: 0, stats: stats(0) };
    for (const index of [0, 1, 1])
      hls.trigger(E.FRAG_LOADED, { frag, part: { index, stats: stats(500) } });
    hls.trigger(E.FRAG_LOADED, { frag: { ...frag, stats: stats(2_000) }, part: null });
    expect(integration.stats.doubleLoads).toEqual({
      ...emptyDoubleLoadStats(),
      partsTwice: 1,
      segmentsAfterParts: 1,
      downloadedBytes: 500 + 2_000,
    });
  });

  it('reads zero before anything loads', () => {
    expect(setup(new FakePartEngine()).integration.stats.doubleLoads).toEqual(
      emptyDoubleLoadStats(),
    );
  });
});
