import { afterEach, describe, expect, it } from 'vitest';
import { BadPeer, type BadPeerMode } from './harness/bad-peer.js';
import { FakeClock } from './harness/fake-clock.js';
import { liveManifestSchema } from '@coral-cdn/protocol';
import { IntegrityRegistry } from '../src/integrity.js';
import { StartupHold } from '../src/startup-hold.js';
import { FakeCdn } from './harness/fake-cdn.js';
import { nodeSubtle } from './harness/node-subtle.js';
import {
  LiveFixture,
  publicKeyBase64Url,
  segmentBytes,
  VodFixture,
} from './harness/stream-fixture.js';
import { requestSegment, seedAll, settle, showPlaylist, SimSwarm } from './harness/swarm.js';

let swarm: SimSwarm | null = null;
let badPeer: BadPeer | null = null;
afterEach(() => {
  swarm?.destroy();
  badPeer?.stop();
  swarm = null;
  badPeer = null;
});

/** Some member of the swarm told the tracker it holds (verified) this segment. */
function announced(sequence: number): boolean {
  return [...(swarm?.tracker.swarms.get('demo/240p')?.values() ?? [])].some((member) =>
    member.have.has(sequence),
  );
}

/** The bad peer, started in the swarm and claiming every segment of `fixture`. */
function startBadPeer(fixture: VodFixture, mode: BadPeerMode, stallSequences: number[] = []) {
  badPeer = new BadPeer(
    swarm!.network,
    swarm!.tracker.url,
    'demo/240p',
    'demo',
    new Map(fixture.segments.map((s) => [s.sequence, s.bytes])),
    mode,
    'bad-peer',
    new Set(stallSequences),
  );
  badPeer.start();
  return badPeer;
}

/** A VOD swarm with the bad peer in it, and a viewer that has just started to play. */
async function swarmWithBadPeer(mode: BadPeerMode, stallSequences: number[] = []) {
  const clock = new FakeClock();
  const fixture = await VodFixture.create({ count: 6, sizeBytes: 50_000 });
  swarm = new SimSwarm(clock, fixture.content, 'demo');
  const badPeer = startBadPeer(fixture, mode, stallSequences);
  await clock.advance(200);
  const viewer = swarm.addViewer({ config: { prefetchAheadSec: 0 } });
  showPlaylist(viewer, fixture);
  viewer.engine.setPlayback({ positionSec: 0, rate: 1 });
  return { clock, fixture, viewer, swarm, badPeer };
}

/** The same, once the viewer is connected to the bad peer and knows the hashes. */
async function viewerWithBadPeer(mode: BadPeerMode, stallSequences: number[] = []) {
  const setup = await swarmWithBadPeer(mode, stallSequences);
  const { clock, viewer } = setup;
  await clock.advanceUntil(() => viewer.engine.stats.peers === 1, 5_000);
  await clock.advance(300); // bitfield, integrity manifest
  return setup;
}

describe('integrity', () => {
  it('catches a peer that serves corrupted bytes: discards them, refetches over HTTP, drops and reports the peer', async () => {
    const { clock, fixture, viewer, swarm, badPeer } = await viewerWithBadPeer('corrupt-bytes');
    const segment = fixture.segments[3]!;
    const result = await settle(clock, requestSegment(viewer, fixture, segment).promise);
    // The player only ever sees the real bytes.
    expect(result.bytes).toEqual(segment.bytes);
    expect(result.source).toBe('http');
    const stats = viewer.engine.stats;
    expect(badPeer.requestsServed).toBe(1);
    expect(stats.integrityFailures).toBe(1);
    expect(stats.p2pBytes).toBe(0);
    expect(stats.p2pDiscardedBytes).toBe(segment.bytes.byteLength);
    expect(stats.cdnReasons.fallback).toBe(1);
    expect(stats.peers).toBe(0);
    expect(swarm.tracker.reports).toEqual([
      {
        type: 'report',
        swarmId: 'demo/240p',
        peerId: badPeer.peerId,
        reason: 'integrity',
        sequence: 3,
      },
    ]);
    // Banned: the next segment is not requested from it, and it is never reconnected.
    const next = await settle(clock, requestSegment(viewer, fixture, fixture.segments[4]!).promise);
    expect(next.bytes).toEqual(fixture.segments[4]!.bytes);
    await clock.advance(15_000);
    expect(badPeer.requestsServed).toBe(1);
    expect(viewer.engine.stats.peers).toBe(0);
  });

  it('bans only the peer whose bytes were wrong when a segment came from two', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 6, sizeBytes: 300_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    const honest = swarm.addViewer({ config: { announcedUploadKbps: 2_000 } });
    await seedAll(clock, honest, fixture);
    const badPeer = startBadPeer(fixture, 'corrupt-bytes');
    // Looks fast (nothing announced), sends 40 KB/s: it falls behind and the honest peer,
    // in time at 250 KB/s, takes the tail.
    swarm.network.setUplink('bad-peer', 40_000);
    await clock.advance(200);
    const viewer = swarm.addViewer({ config: { prefetchAheadSec: 0 } });
    showPlaylist(viewer, fixture);
    viewer.engine.setPlayback({ positionSec: 0, rate: 0 });
    await clock.advanceUntil(() => viewer.engine.stats.peers === 2, 5_000);
    await clock.advance(300);
    viewer.engine.setPlayback({ positionSec: 0, rate: 1 });
    const segment = fixture.segments[3]!;
    const result = await settle(clock, requestSegment(viewer, fixture, segment).promise);
    expect(result.bytes).toEqual(segment.bytes);
    expect(result.source).toBe('http');
    expect(viewer.engine.stats.integrityFailures).toBe(1);
    expect(viewer.engine.stats.p2pDiscardedBytes).toBe(segment.bytes.byteLength);
    // Both sent bytes of it; only the bad peer is reported and dropped.
    expect(badPeer.requestsServed).toBe(1);
    await clock.advanceUntil(() => swarm!.tracker.reports.length > 0, 1_000);
    expect(swarm.tracker.reports.map((r) => r.peerId)).toEqual([badPeer.peerId]);
    expect(viewer.engine.stats.peerDetails.map((p) => p.peerId)).toEqual([honest.engine.peerId]);
  });

  it('throws away what a peer banned mid-transfer sent of another segment, instead of finishing it', async () => {
    // Segment 4: the bad peer sends a corrupted first half and stalls. Segment 3: it sends all
    // of it, corrupted, and is banned. Segment 4's half must go too (counted as discarded):
    // finishing it would fail the hash again.
    const { clock, fixture, viewer, badPeer } = await viewerWithBadPeer('corrupt-bytes', [4]);
    const [three, four] = [fixture.segments[3]!, fixture.segments[4]!];
    const pendingFour = requestSegment(viewer, fixture, four).promise;
    await clock.advance(100); // the corrupted half of segment 4 arrives; the transfer stalls
    const resultThree = await settle(clock, requestSegment(viewer, fixture, three).promise);
    const resultFour = await settle(clock, pendingFour);
    expect(resultThree.bytes).toEqual(three.bytes);
    expect(resultFour.bytes).toEqual(four.bytes);
    expect(resultFour.source).toBe('http');
    const stats = viewer.engine.stats;
    expect(stats.integrityFailures).toBe(1);
    expect(stats.p2pBytes).toBe(0);
    expect(badPeer.stalledBytesSent).toBeGreaterThan(0);
    expect(stats.p2pDiscardedBytes).toBe(three.bytes.byteLength + badPeer.stalledBytesSent);
  });

  it('drops a peer whose transfer does not match the signed size, before any byte reaches the player', async () => {
    const { clock, fixture, viewer, swarm, badPeer } = await viewerWithBadPeer('wrong-size');
    const segment = fixture.segments[3]!;
    const result = await settle(clock, requestSegment(viewer, fixture, segment).promise);
    expect(result.bytes).toEqual(segment.bytes);
    expect(badPeer.requestsServed).toBe(1);
    expect(viewer.engine.stats.peers).toBe(0);
    expect(swarm.tracker.reports.map((r) => r.reason)).toEqual(['protocol']);
  });

  it('drops and reports a peer that sends malformed frames', async () => {
    const { clock, fixture, viewer, swarm } = await viewerWithBadPeer('garbage-frames');
    const segment = fixture.segments[3]!;
    const result = await settle(clock, requestSegment(viewer, fixture, segment).promise);
    expect(result.bytes).toEqual(segment.bytes);
    expect(viewer.engine.stats.peers).toBe(0);
    expect(viewer.engine.stats.p2pBytes).toBe(0);
    expect(swarm.tracker.reports.map((r) => r.reason)).toEqual(['protocol']);
  });

  it('leaves a peer whose frames carry another protocol version without reporting it, and never asks it again', async () => {
    const { clock, fixture, viewer, swarm, badPeer } = await swarmWithBadPeer('old-protocol');
    viewer.engine.reportStartup(0);
    await clock.advanceUntil(() => badPeer.offersAnswered === 1, 5_000);
    await clock.advance(1_000);
    expect(viewer.engine.stats.peers).toBe(0);
    expect(viewer.logs.some((line) => /another protocol version/.test(line.message))).toBe(true);
    const result = await settle(
      clock,
      requestSegment(viewer, fixture, fixture.segments[3]!).promise,
    );
    expect(result.source).toBe('http');
    await clock.advance(15_000);
    expect(swarm.tracker.reports).toEqual([]);
    expect(badPeer.requestsServed).toBe(0);
    // Not offered to again, though the tracker still lists it.
    expect(badPeer.offersAnswered).toBe(1);
  });

  it('never takes peer bytes when the manifest is not signed by the stream key', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 4, sizeBytes: 50_000 });
    const other = await VodFixture.create({ count: 4, sizeBytes: 50_000, streamId: 'other' });
    // The CDN serves another stream's (validly signed) manifest for this one.
    const content = (url: string) =>
      url.endsWith('integrity.json')
        ? other.content(url.replace('/demo/', '/other/'))
        : fixture.content(url);
    swarm = new SimSwarm(clock, content, 'demo');
    const seeder = swarm.addViewer();
    showPlaylist(seeder, fixture);
    seeder.engine.setPlayback({ positionSec: 0, rate: 0 });
    for (const segment of fixture.segments)
      await settle(clock, requestSegment(seeder, fixture, segment).promise);
    const viewer = swarm.addViewer();
    swarm.play(viewer, { playlistUrl: fixture.playlistUrl });
    await clock.advance(15_000);
    expect(viewer.player!.stats.segmentsLoaded).toBe(4);
    expect(viewer.engine.stats.p2pBytes).toBe(0);
    expect(seeder.engine.stats.uploadedBytes).toBe(0);
  });
});

describe('signed live entries from peers', () => {
  it('a forged one (a made-up signature) gets its peer dropped and reported, and vouches for nothing', async () => {
    const clock = new FakeClock();
    const fixture = new LiveFixture('live', '240p', 50_000);
    swarm = new SimSwarm(clock, fixture.content, 'live');
    for (let i = 0; i < 6; i++) await fixture.publish();
    // Claims the next segment too, before the origin publishes (and signs) it.
    const claimed = new Map(fixture.segments.map((s) => [s.sequence, s.bytes]));
    const next = segmentBytes(1000 + 6, 50_000);
    claimed.set(6, next);
    badPeer = new BadPeer(
      swarm.network,
      swarm.tracker.url,
      'live/240p',
      'live',
      claimed,
      'forged-signed',
    );
    badPeer.start();
    await clock.advance(200);
    const viewer = swarm.addViewer();
    swarm.play(viewer, { playlistUrl: fixture.playlistUrl });
    await clock.advanceUntil(() => swarm!.tracker.reports.length > 0, 10_000);
    expect(swarm.tracker.reports).toEqual([
      expect.objectContaining({ peerId: badPeer.peerId, reason: 'integrity' }),
    ]);
    expect(viewer.engine.stats.integrityFailures).toBe(1);
    expect(viewer.engine.stats.peers).toBe(0);
    expect(badPeer.requestsServed).toBe(0);
    // The next segments, as the origin publishes them, play from the CDN.
    for (let i = 0; i < 5; i++) {
      await fixture.publish();
      await clock.advance(2_000);
    }
    expect(viewer.engine.stats.p2pBytes).toBe(0);
    expect(viewer.player!.stats.stalls).toBe(0);
    expect(viewer.logs.some((line) => /forged signed entry/.test(line.message))).toBe(true);
  });
});

describe('the integrity registry and signed entries from peers', () => {
  function registryFor(
    clock: FakeClock,
    content: (url: string) => Uint8Array | undefined,
    streamId: string,
  ) {
    const cdn = new FakeCdn(clock, content);
    const registry = new IntegrityRegistry(
      nodeSubtle,
      cdn,
      clock,
      publicKeyBase64Url,
      streamId,
      new StartupHold(clock, 0),
    );
    return { cdn, registry };
  }

  it('keeps a genuine live entry without fetching the manifest, and refuses forged, foreign and VOD ones', async () => {
    const clock = new FakeClock();
    const fixture = new LiveFixture('live', '240p', 1_000);
    for (let i = 0; i < 3; i++) await fixture.publish();
    const manifestUrl = fixture.playlistUrl.replace(/[^/]+$/, 'integrity.json');
    const manifest = liveManifestSchema.parse(
      JSON.parse(new TextDecoder().decode(fixture.content(manifestUrl))),
    );
    const [first, second] = manifest.segments;
    // As a SIGNED frame carries it: no URI, no duration (the signature does not cover them).
    const { sequence, sha256, sizeBytes, signature } = first!;
    const genuine = { sequence, sha256, sizeBytes, signature };
    const { cdn, registry } = registryFor(clock, fixture.content, 'live');
    registry.setPlaylistUrl('240p', fixture.playlistUrl);
    expect(await registry.acceptSigned('240p', genuine)).toBe('added');
    expect(await registry.acceptSigned('240p', first!)).toBe('known');
    expect(registry.known('240p', first!.sequence)?.sha256).toBe(first!.sha256);
    expect(registry.signed('240p', first!.sequence)?.signature).toBe(first!.signature);
    expect(cdn.manifestRequests()).toEqual([]);
    // Another segment's hash under this signature, and a genuine entry of another stream.
    const tampered = { ...second!, sha256: first!.sha256 };
    expect(await registry.acceptSigned('240p', tampered)).toBe('forged');
    expect(registry.known('240p', second!.sequence)).toBeUndefined();
    const other = registryFor(clock, fixture.content, 'other').registry;
    other.setPlaylistUrl('240p', fixture.playlistUrl);
    expect(await other.acceptSigned('240p', second!)).toBe('forged');
    // A rendition this viewer does not play.
    expect(await registry.acceptSigned('720p', second!)).toBe('ignored');

    const vod = await VodFixture.create({ count: 2, sizeBytes: 1_000 });
    const vodRegistry = registryFor(clock, vod.content, 'demo').registry;
    vodRegistry.setPlaylistUrl('240p', vod.playlistUrl);
    await settle(clock, vodRegistry.refresh('240p'));
    expect(vodRegistry.known('240p', 0)?.signature).toBeNull();
    expect(vodRegistry.signed('240p', 0)).toBeUndefined();
    expect(await vodRegistry.acceptSigned('240p', first!)).toBe('ignored');
  });
});

describe('CDN bytes and the signed hash', () => {
  it('with the hash known: go to the player unchecked, are shared once checked, never when they do not match', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 6, sizeBytes: 50_000 });
    const [good, bad] = [fixture.segments[1]!, fixture.segments[2]!];
    const corrupted = bad.bytes.slice();
    corrupted[100] = corrupted[100]! ^ 0xff;
    // The CDN path serves one segment damaged (a broken cache, a bad disk).
    const content = (url: string) => (url === bad.url ? corrupted : fixture.content(url));
    swarm = new SimSwarm(clock, content, 'demo');
    const viewer = swarm.addViewer({ config: { prefetchAheadSec: 0 } });
    showPlaylist(viewer, fixture);
    viewer.engine.reportStartup(0); // playing: the engine fetches the hashes
    viewer.engine.setPlayback({ positionSec: 0, rate: 1 });
    await clock.advance(500); // the manifest is known
    const goodResult = await settle(clock, requestSegment(viewer, fixture, good).promise);
    const badResult = await settle(clock, requestSegment(viewer, fixture, bad).promise);
    // Played as the CDN sent them: the check only decides what is shared.
    expect(goodResult.bytes).toEqual(good.bytes);
    expect(badResult.bytes).toEqual(corrupted);
    await clock.advanceUntil(() => announced(good.sequence), 2_000);
    await clock.advance(10_000);
    expect(announced(bad.sequence)).toBe(false);
    expect(viewer.logs.some((line) => /do not match the signed hash/.test(line.message))).toBe(
      true,
    );
  });
});

describe('CDN bytes before the signed hash is known', () => {
  it('go to the player at once, and are shared only once the manifest has verified them', async () => {
    const clock = new FakeClock();
    const fixture = await VodFixture.create({ count: 6, sizeBytes: 50_000 });
    swarm = new SimSwarm(clock, fixture.content, 'demo');
    const viewer = swarm.addViewer({ config: { prefetchAheadSec: 0 } });
    const manifestUrl = fixture.playlistUrl.replace(/[^/]+$/, 'integrity.json');
    viewer.cdn.failing.add(manifestUrl);
    showPlaylist(viewer, fixture);
    viewer.engine.setPlayback({ positionSec: 0, rate: 1 });
    await clock.advance(500);
    const segment = fixture.segments[0]!;
    const askedAtMs = clock.now();
    const result = await settle(clock, requestSegment(viewer, fixture, segment).promise);
    expect(result.bytes).toEqual(segment.bytes);
    expect(result.source).toBe('http');
    // CDN latency and transfer only: no wait for the manifest.
    expect(result.timing.endedAtMs - askedAtMs).toBeLessThan(200);
    await clock.advance(2_000);
    expect(announced(segment.sequence)).toBe(false);
    // The manifest comes back: the segment is checked, then announced to the swarm.
    viewer.cdn.failing.delete(manifestUrl);
    await clock.advanceUntil(() => announced(segment.sequence), 30_000);
    expect(announced(segment.sequence)).toBe(true);
  });
});
