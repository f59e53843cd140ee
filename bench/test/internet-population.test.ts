import { describe, expect, it } from 'vitest';
import { emptyCdnReasons } from '@coral-cdn/p2p-engine';
import { formatReasons, summarize, type ViewerOutcome } from '../src/internet/figures.js';
import { parseInternetOptions } from '../src/internet/options.js';
import { FlagError } from '../src/lib/flags.js';
import {
  apportion,
  drawPopulation,
  populationBounds,
  type Viewer,
} from '../src/internet/population.js';

const viewer = (index: number, nat: Viewer['home']['nat'], upMbit: number): Viewer => ({
  index,
  rttMs: 40,
  home: { nat, upMbit, delayMs: 20, lossRate: 0.01 },
});

describe('the internet population', () => {
  it('apportions a mix exactly at any size (largest remainder)', () => {
    expect(apportion([0.7, 0.2, 0.1], 10)).toEqual([7, 2, 1]);
    expect(apportion([0.7, 0.2, 0.1], 6)).toEqual([4, 1, 1]);
    for (const n of [2, 3, 7, 13, 24])
      expect(apportion([0.7, 0.2, 0.1], n).reduce((a, b) => a + b, 0)).toBe(n);
  });

  it('draws the NAT mix, RTTs in 20–150 ms and 1–2% loss, the same for the same seed', () => {
    const population = drawPopulation(10, 7);
    expect(drawPopulation(10, 7)).toEqual(population);
    expect(drawPopulation(10, 8)).not.toEqual(population);
    const count = (nat: string) => population.filter((v) => v.home.nat === nat).length;
    expect([count('cone'), count('symmetric'), count('udp-blocked')]).toEqual([7, 2, 1]);
    for (const v of population) {
      expect(v.rttMs).toBeGreaterThanOrEqual(20);
      expect(v.rttMs).toBeLessThanOrEqual(150);
      expect(v.rttMs).toBe(2 * v.home.delayMs);
      expect(v.home.lossRate).toBeGreaterThanOrEqual(0.01);
      expect(v.home.lossRate).toBeLessThanOrEqual(0.02);
    }
  });

  it('bounds offload by (E−1)/N for the cone homes, and by their uplinks', () => {
    const homes = [
      viewer(0, 'cone', 10),
      viewer(1, 'cone', 10),
      viewer(2, 'cone', 10),
      viewer(3, 'symmetric', 10),
    ];
    expect(populationBounds(homes, 0.5)).toMatchObject({ eligible: 3, bound: 2 / 4 });
    expect(populationBounds(homes, 0.5).uplinkBound).toBe(2 / 4);
    // Three 0.2 Mbit/s uplinks carry 0.6 Mbit/s: 1.2 streams of 0.5, not 2.
    const slow = homes.map((v) => ({ ...v, home: { ...v.home, upMbit: 0.2 } }));
    expect(populationBounds(slow, 0.5).uplinkBound).toBeCloseTo(1.2 / 4);
    // A relay makes the symmetric home eligible too; one eligible viewer shares with nobody.
    expect(populationBounds(homes, 0.5, true).bound).toBe(3 / 4);
    expect(populationBounds([homes[0]!, homes[3]!], 0.5).bound).toBe(0);
  });
});

describe('the internet figures', () => {
  const outcome = (index: number, http: number, p2p: number, startupMs: number): ViewerOutcome => ({
    index,
    nat: 'cone',
    upMbit: 10,
    rttMs: 40,
    lossRate: 0.01,
    httpBytes: http,
    cdnReasons: { ...emptyCdnReasons(), elected: index, deadline: 2 },
    p2pBytes: p2p,
    uploadedBytes: 0,
    stalls: 0,
    stallMs: 0,
    startupMs,
    playedSec: 30,
    error: null,
  });

  it('CDN saved compares the P2P run with CDN-only; eligibility is peer bytes > 0', () => {
    const population = [viewer(0, 'cone', 10), viewer(1, 'cone', 10)];
    const entry = summarize(
      'vod',
      population,
      {
        p2p: [outcome(0, 1000, 0, 600), outcome(1, 500, 500, 700)],
        cdn: [outcome(0, 1000, 0, 500), outcome(1, 1000, 0, 500)],
      },
      { p2p: 1600, cdn: 2000 },
      0.5,
    );
    // The edge's own count decides; the viewers' count is kept beside it.
    expect(entry.cdnSaved).toBeCloseTo(0.2);
    expect(entry.cdnSavedByViewers).toBe(0.25);
    expect(entry.bound).toBe(0.5);
    expect(entry.cdnSavedOfBound).toBeCloseTo(0.4);
    // On segment bytes (the viewers' counts): 0.25 of a 0.5 bound.
    expect(entry.cdnSavedSegmentsOfBound).toBe(0.5);
    expect(entry.report[1]).toContain('saved/bound 0.40 (segment bytes only 0.50)');
    expect(entry.offload).toBe(0.25);
    expect(entry.eligibleShare).toBe(0.5);
    expect(entry.startupRatio).toBe(1.3);
  });

  it("sums the viewers' CDN segments by reason and prints them, per viewer too", () => {
    const population = [viewer(0, 'cone', 10), viewer(1, 'cone', 10)];
    const entry = summarize(
      'live',
      population,
      { p2p: [outcome(0, 1000, 0, 600), outcome(1, 500, 500, 700)], cdn: [] },
      { p2p: 1600, cdn: 2000 },
      0.5,
    );
    expect(entry.cdnReasonsP2p).toEqual({ ...emptyCdnReasons(), elected: 1, deadline: 4 });
    expect(entry.report).toContain('  CDN segments with P2P by reason: deadline 4, elected 1');
    expect(entry.report.filter((line) => line.endsWith('CDN segments: deadline 2'))).toHaveLength(
      1,
    );
    expect(formatReasons(emptyCdnReasons())).toBe('-');
  });
});

describe('the internet options', () => {
  it('takes defaults, --quick, and refuses bad flags with their name', () => {
    expect(parseInternetOptions({})).toMatchObject({ viewers: 10, watchSec: 40 });
    expect(parseInternetOptions({ quick: 'true' })).toMatchObject({ viewers: 6, watchSec: 25 });
    expect(() => parseInternetOptions({ viewers: '1' })).toThrow(/--viewers/);
    expect(() => parseInternetOptions({ scenarios: 'vod,tv' })).toThrow(FlagError);
    expect(() => parseInternetOptions({ watch_sec: 'x' })).toThrow(/--watch-sec/);
    expect(() => parseInternetOptions({ bogus: '1' })).toThrow(/unknown flag --bogus/);
  });

  it('runs werift viewers unless told chromium, and at most 3 browsers per core', () => {
    expect(parseInternetOptions({}).viewerKind).toBe('werift');
    const chromium = (viewers: string, cores: number) =>
      parseInternetOptions({ viewer_kind: 'chromium', viewers }, '/work', cores);
    expect(
      parseInternetOptions({ viewer_kind: 'chromium', quick: 'true' }, '/work', 2),
    ).toMatchObject({ viewerKind: 'chromium', viewers: 6 });
    expect(() => chromium('7', 2)).toThrow(/at most 6 on 2 cores/);
    expect(chromium('12', 4).viewers).toBe(12);
    expect(() => chromium('13', 4)).toThrow(/at most 12 on 4 cores/);
    expect(parseInternetOptions({ viewers: '13' }, '/work', 2).viewers).toBe(13);
    expect(() => parseInternetOptions({ viewer_kind: 'firefox' })).toThrow(/--viewer-kind/);
  });

  it('takes --live-sync-segments in whole segments, the player default otherwise', () => {
    expect(parseInternetOptions({}).liveSyncSegments).toBeNull();
    expect(parseInternetOptions({ live_sync_segments: '4' }).liveSyncSegments).toBe(4);
    expect(
      parseInternetOptions({ live_sync_segments: '4', viewer_kind: 'chromium', viewers: '2' })
        .liveSyncSegments,
    ).toBe(4);
    for (const bad of ['0', '11', '2.5'])
      expect(() => parseInternetOptions({ live_sync_segments: bad })).toThrow(
        /--live-sync-segments/,
      );
  });

  it('keeps logs only with --log-dir, a relative one taken from where npm ran', () => {
    expect(parseInternetOptions({}).logDir).toBeNull();
    expect(parseInternetOptions({ log_dir: 'logs' }, '/work/x').logDir).toBe('/work/x/logs');
    expect(parseInternetOptions({ log_dir: '/tmp/l' }, '/work/x').logDir).toBe('/tmp/l');
    expect(() => parseInternetOptions({ log_dir: 'true' })).toThrow(/--log-dir/);
  });
});
