import { describe, expect, it } from 'vitest';
import { DeferredEngine } from '../src/deferred-engine.js';
import { FakeEngine } from './support/fakes.js';

const request = (sequence: number) => ({
  rendition: '240p',
  sequence,
  url: `http://edge.test/vod/demo/240p/seg_${sequence}.m4s`,
  startSec: sequence * 2,
  durationSec: 2,
});
const timing = { startedAtMs: 0, firstByteAtMs: 10, endedAtMs: 20 };
const playlist = (rendition: string, sequences: number[]) => ({
  rendition,
  playlistUrl: `http://edge.test/vod/demo/${rendition}/index.m3u8`,
  live: false,
  segments: sequences.map((sequence) => ({
    sequence,
    url: `seg_${sequence}.m4s`,
    startSec: sequence * 2,
    durationSec: 2,
  })),
});

/**
 * The engine's stand-in while the playback info is on its way: hls.js loads every segment
 * itself, and everything the player says reaches the engine once it exists.
 */
describe('DeferredEngine', () => {
  it('leaves every segment to the player until the engine exists, and counts them', () => {
    const deferred = new DeferredEngine({ region: 'eu-west' });
    expect(deferred.waiting).toBe(true);
    expect(deferred.config.p2pEnabled).toBe(true);
    expect(deferred.config.region).toBe('eu-west');
    expect(deferred.leavesToPlayer(request(0))).toBe(true);
    deferred.adoptSegment(request(0), new Uint8Array(1000), timing);
    deferred.adoptSegment(request(1), new Uint8Array(500), timing);
    deferred.reportStartup(320);
    expect(deferred.stats).toMatchObject({
      httpBytes: 1500,
      segmentsFromHttp: 2,
      cdnReasons: { startup: 2 },
      startupMs: 320,
      p2pEnabled: true,
      p2pBytes: 0,
    });
    expect(() => deferred.loadSegment(request(2))).toThrow(/no engine yet/);
  });

  it('hands the engine the latest of what the player said, then forwards everything', () => {
    const deferred = new DeferredEngine();
    deferred.setPlaylist(playlist('240p', [0, 1]));
    deferred.setPlaylist(playlist('480p', [0]));
    deferred.setPlaylist(playlist('240p', [0, 1, 2]));
    deferred.setActiveRendition('480p');
    deferred.setActiveRendition('240p');
    deferred.setPlayback({ positionSec: 1, rate: 1 });
    deferred.setPlayback({ positionSec: 2, rate: 1 });
    deferred.adoptSegment(request(0), new Uint8Array(10), timing);
    deferred.reportStartup(250);
    deferred.reportStartup(900);
    deferred.reportStall(true);

    const engine = new FakeEngine();
    engine.leavesFragmentsToPlayer = false;
    deferred.resolve(engine);
    expect(deferred.waiting).toBe(false);
    expect(deferred.current).toBe(engine);
    expect(engine.playlists).toEqual([playlist('240p', [0, 1, 2]), playlist('480p', [0])]);
    expect(engine.activeRenditions).toEqual(['240p']);
    expect(engine.playback).toEqual([{ positionSec: 2, rate: 1 }]);
    expect(engine.adopted.map((a) => a.request.sequence)).toEqual([0]);
    expect(engine.startupReports).toEqual([250]);
    expect(engine.stallReports).toEqual([true]);

    // From now on the engine decides and hears everything directly.
    expect(deferred.leavesToPlayer(request(1))).toBe(false);
    deferred.reportStall(false);
    deferred.setActiveRendition('480p');
    void deferred.loadSegment(request(1));
    expect(engine.stallReports).toEqual([true, false]);
    expect(engine.activeRenditions).toEqual(['240p', '480p']);
    expect(engine.loads.map((load) => load.request.sequence)).toEqual([1]);
    engine.statsOverride = { p2pBytes: 77 };
    expect(deferred.stats.p2pBytes).toBe(77);
    expect(() => deferred.resolve(new FakeEngine())).toThrow(/already/);
  });

  it('keeps at most the 16 newest early segments for the engine', () => {
    const deferred = new DeferredEngine();
    for (let sequence = 0; sequence < 20; sequence++) {
      deferred.adoptSegment(request(sequence), new Uint8Array(1), timing);
    }
    const engine = new FakeEngine();
    deferred.resolve(engine);
    expect(engine.adopted.map((a) => a.request.sequence)).toEqual(
      Array.from({ length: 16 }, (_, i) => i + 4),
    );
  });

  it('turned off, it stays a P2P-off stand-in: hls.js loads everything, nothing is kept', () => {
    const deferred = new DeferredEngine();
    deferred.setPlaylist(playlist('240p', [0]));
    deferred.adoptSegment(request(0), new Uint8Array(100), timing);
    deferred.turnOff();
    deferred.turnOff();
    expect(deferred.waiting).toBe(false);
    expect(deferred.config.p2pEnabled).toBe(false);
    expect(deferred.stats).toMatchObject({ p2pEnabled: false, httpBytes: 100 });
    expect(deferred.leavesToPlayer(request(1))).toBe(true);
    expect(() => deferred.resolve(new FakeEngine())).toThrow(/turned off/);
  });
});
