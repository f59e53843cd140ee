import { describe, expect, it } from 'vitest';
import { ReferenceError } from '../src/sim/reference.js';
import {
  internetReference,
  internetScenarios,
  parseInternetReference,
  roundFromInternetResult,
} from '../src/sim/internet-reference.js';
import {
  compareInternet,
  internetReasonsTable,
  internetTable,
} from '../src/sim/internet-validation.js';

const settings = {
  viewers: 6,
  seed: 1,
  watchSec: 25,
  vodJoinIntervalMs: 2000,
  liveJoinIntervalMs: 1000,
};

/** An internet benchmark result document, as bench/results/internet.json holds it. */
const result = (vodOffload: number, vodSaved: number, stalls = 0) => ({
  benchmark: 'internet',
  measuredAt: '2026-12-05T19:07:48.955Z',
  commit: 'abc1234',
  machine: { cpus: 2, loadAverage1m: 9.2 },
  figures: {
    settings: { ...settings, scenarios: ['vod', 'live'], bitrateMbit: 0.464 },
    population: [],
    entries: [
      {
        scenario: 'vod',
        viewers: 6,
        offload: vodOffload,
        cdnSaved: vodSaved,
        stallsP2p: stalls,
        stallsCdn: 0,
        eligibleShare: 4 / 6,
        eligibleShareByNat: 4 / 6,
        outcomesP2p: [],
      },
      {
        scenario: 'live',
        viewers: 6,
        offload: 0.05,
        cdnSaved: 0.06,
        stallsP2p: 0,
        stallsCdn: 0,
        eligibleShare: 0.5,
        eligibleShareByNat: 4 / 6,
      },
    ],
  },
});

const sim = {
  offload: 0.27,
  cdnSaved: 0.26,
  stallsP2p: 1,
  stallsCdn: 0,
  eligibleShare: 4 / 6,
  cdnReasons: { startup: 0, alone: 40, elected: 0, deadline: 24, unsigned: 0, fallback: 3 },
};

describe('the internet reference (rounds of the internet benchmark)', () => {
  it('keeps the figures the simulator reproduces, with the round and its load', () => {
    const { settings: read, round } = roundFromInternetResult(result(0.23, 0.22));
    expect(read).toEqual(settings);
    expect(round).toMatchObject({ commit: 'abc1234', loadAverage1m: 9.2 });
    expect(round.entries.map((e) => [e.scenario, e.offload, e.cdnSaved])).toEqual([
      ['vod', 0.23, 0.22],
      ['live', 0.05, 0.06],
    ]);
  });

  it('names the field of a result that is not an internet benchmark run', () => {
    const broken = result(0.23, 0.22);
    broken.figures.entries[0]!.offload = 1.5;
    expect(() => roundFromInternetResult(broken)).toThrow(/entries\.0\.offload/);
    expect(() => roundFromInternetResult({ figures: {} })).toThrow(ReferenceError);
  });

  it('takes werift rounds and refuses browser ones (the simulator models werift viewers)', () => {
    const werift = result(0.23, 0.22);
    Object.assign(werift.figures.settings, { viewerKind: 'werift (coral-peer), one per home' });
    expect(roundFromInternetResult(werift).settings).toEqual(settings);
    const chromium = result(0.23, 0.22);
    Object.assign(chromium.figures.settings, { viewerKind: 'chromium (headless), one per home' });
    expect(() => roundFromInternetResult(chromium)).toThrow(/chromium .* werift's/);
  });

  it('refuses rounds of different settings in one reference', () => {
    const other = result(0.2, 0.2);
    other.figures.settings.seed = 2;
    expect(() => internetReference('x', 'y', [result(0.23, 0.22), other])).toThrow(/settings/);
  });

  it('keeps a LIVE hold-back given, reads a null one as the absent default, and never mixes them', () => {
    const withSync = (sync: number | null) => {
      const round = result(0.23, 0.22);
      Object.assign(round.figures.settings, { liveSyncSegments: sync });
      return round;
    };
    expect(roundFromInternetResult(withSync(4)).settings.liveSyncSegments).toBe(4);
    expect(internetReference('x', 'y', [result(0.2, 0.2), withSync(null)]).rounds).toHaveLength(2);
    expect(() => internetReference('x', 'y', [withSync(4), withSync(null)])).toThrow(/settings/);
  });

  it('names the scenarios it has rounds of', () => {
    const liveOnly = result(0.23, 0.22);
    liveOnly.figures.entries.shift();
    expect(internetScenarios(internetReference('x', 'y', [liveOnly]))).toEqual(['live']);
    expect(internetScenarios(internetReference('x', 'y', [result(0.2, 0.2)]))).toEqual([
      'live',
      'vod',
    ]);
  });

  it('round-trips through its stored form', () => {
    const reference = internetReference('quick', 'cmd', [result(0.23, 0.22), result(0.2, 0.25)]);
    expect(parseInternetReference(JSON.parse(JSON.stringify(reference)), 'f')).toEqual(reference);
    expect(() => parseInternetReference({ ...reference, rounds: [] }, 'f.json')).toThrow(/f\.json/);
  });
});

describe('the internet validation row', () => {
  const reference = internetReference('quick', 'cmd', [
    result(0.23, 0.22),
    result(0.2, 0.25, 1),
    result(0.3, 0.24),
  ]);

  it('compares the simulator with the median of the rounds, in points, and keeps the range', () => {
    const row = compareInternet(reference, 'vod', [sim], 0.4);
    expect(row.rounds).toBe(3);
    expect(row.realOffload).toEqual({ median: 0.23, min: 0.2, max: 0.3 });
    expect(row.offloadDeltaPoints).toBeCloseTo(4, 6);
    expect(row.realCdnSaved.median).toBe(0.24);
    expect(row.cdnSavedDeltaPoints).toBeCloseTo(2, 6);
    expect(row.realStallsP2p).toEqual([0, 1, 0]);
    expect(row.withinFivePoints).toBe(true);
  });

  it('fails the ±5 points when either figure is off by more', () => {
    expect(compareInternet(reference, 'vod', [{ ...sim, cdnSaved: 0.3 }], 0).withinFivePoints).toBe(
      false,
    );
    expect(compareInternet(reference, 'vod', [{ ...sim, offload: 0.17 }], 0).withinFivePoints).toBe(
      false,
    );
  });

  it('takes the median of the simulated runs and keeps their range and stalls', () => {
    const runs = [0.1, 0.25, 0.27].map((offload, i) => ({ ...sim, offload, stallsP2p: i }));
    const row = compareInternet(reference, 'vod', runs, 0);
    expect(row.simRuns).toBe(3);
    expect(row.simOffload).toEqual({ median: 0.25, min: 0.1, max: 0.27 });
    expect(row.offloadDeltaPoints).toBeCloseTo(2, 6);
    expect(row.simStallsP2p).toEqual([0, 1, 2]);
    expect(() => compareInternet(reference, 'vod', [], 0)).toThrow(RangeError);
  });

  it('prints real (range) beside sim with signed deltas', () => {
    const [line] = internetTable([compareInternet(reference, 'live', [sim], 0.1)]);
    expect(line).toMatchObject({
      'offload real': '5.0% (5.0%–5.0%)',
      'offload sim': '27.0% (27.0%–27.0%)',
      'Δ pts': '+22.0',
      '±5 pts': 'NO',
      'stalls real/sim': '0,0,0/1',
    });
    expect(line!.scenario).toBe('live 6 internet (seed 1)');
    const held = result(0.23, 0.22);
    Object.assign(held.figures.settings, { liveSyncSegments: 4 });
    const [heldLine] = internetTable([
      compareInternet(internetReference('x', 'y', [held]), 'live', [sim], 0.1),
    ]);
    expect(heldLine!.scenario).toBe('live 6 internet (seed 1), 4 segments behind');
  });

  it('puts the CDN segments by reason beside the simulator, where the rounds kept them', () => {
    const withReasons = (alone: number, deadline: number) => {
      const round = result(0.23, 0.22);
      Object.assign(round.figures.entries[0]!, {
        cdnReasonsP2p: { startup: 0, alone, elected: 0, deadline, unsigned: 0, fallback: 0 },
      });
      return round;
    };
    const kept = internetReference('x', 'y', [withReasons(41, 25), withReasons(46, 22)]);
    const runs = [sim, { ...sim, cdnReasons: { ...sim.cdnReasons, alone: 44, deadline: 30 } }];
    const row = compareInternet(kept, 'vod', runs, 0);
    expect(row.cdnReasons.find((c) => c.reason === 'alone')).toEqual({
      reason: 'alone',
      real: { median: 43.5, min: 41, max: 46 },
      sim: { median: 42, min: 40, max: 44 },
    });
    // Reasons neither side counted are left out; a reference without reasons has no line.
    const [line, ...more] = internetReasonsTable([row, compareInternet(reference, 'vod', runs, 0)]);
    expect(more).toEqual([]);
    expect(line).toEqual({
      scenario: 'vod 6 internet (seed 1)',
      alone: '43.5 (41–46) / 42 (40–44)',
      deadline: '23.5 (22–25) / 27 (24–30)',
      fallback: '0 (0–0) / 3 (3–3)',
    });
    expect(
      compareInternet(reference, 'vod', runs, 0).cdnReasons.every((c) => c.real === null),
    ).toBe(true);
  });
});
