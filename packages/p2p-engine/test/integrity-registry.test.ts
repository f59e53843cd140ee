import { describe, expect, it } from 'vitest';
import { liveManifestSchema, type SignedSegmentHash } from '@coral-cdn/protocol';
import { IntegrityRegistry } from '../src/integrity.js';
import { StartupHold } from '../src/startup-hold.js';
import { FakeCdn } from './harness/fake-cdn.js';
import { FakeClock } from './harness/fake-clock.js';
import { nodeSubtle } from './harness/node-subtle.js';
import { LiveFixture, publicKeyBase64Url, VodFixture } from './harness/stream-fixture.js';
import { settle } from './harness/swarm.js';

/**
 * The registry's own rules, one test each: when it fetches a manifest, what it trusts, what it
 * remembers, and what `verify` throws. (The swarm-level behaviour is in integrity.test.ts.)
 */
function registryFor(
  content: (url: string) => Uint8Array | undefined,
  options: { streamId?: string; holdMs?: number; minRefetchMs?: number } = {},
) {
  const clock = new FakeClock();
  const cdn = new FakeCdn(clock, content);
  const hold = new StartupHold(clock, options.holdMs ?? 0);
  const registry = new IntegrityRegistry(
    nodeSubtle,
    cdn,
    clock,
    publicKeyBase64Url,
    options.streamId ?? 'demo',
    hold,
    options.minRefetchMs,
  );
  return { clock, cdn, hold, registry };
}

async function liveEntries(fixture: LiveFixture): Promise<SignedSegmentHash[]> {
  const manifestUrl = fixture.playlistUrl.replace(/[^/]+$/, 'integrity.json');
  const manifest = liveManifestSchema.parse(
    JSON.parse(new TextDecoder().decode(fixture.content(manifestUrl))),
  );
  return manifest.segments.map(({ sequence, sha256, sizeBytes, signature }) => ({
    sequence,
    sha256,
    sizeBytes,
    signature,
  }));
}

describe('the integrity registry', () => {
  it('verify: accepts the signed bytes, and names a missing entry, a wrong size and a wrong hash', async () => {
    const vod = await VodFixture.create({ count: 2, sizeBytes: 1_000 });
    const { clock, registry } = registryFor(vod.content);
    registry.setPlaylistUrl('240p', vod.playlistUrl);
    const good = vod.segments[0]!.bytes;
    await settle(clock, registry.verify('240p', 0, good));
    await expect(settle(clock, registry.verify('240p', 7, good))).rejects.toMatchObject({
      code: 'no_integrity_info',
      message: 'no signed hash for 240p/7',
    });
    await expect(
      settle(clock, registry.verify('240p', 0, good.subarray(0, 999))),
    ).rejects.toMatchObject({ code: 'integrity', message: expect.stringContaining('999 bytes') });
    const flipped = good.slice();
    flipped[10] = flipped[10]! ^ 0xff;
    await expect(settle(clock, registry.verify('240p', 0, flipped))).rejects.toMatchObject({
      code: 'integrity',
      message: expect.stringMatching(/^240p\/0: ./),
    });
    // The unknown rendition has no manifest at all.
    await expect(settle(clock, registry.verify('720p', 0, good))).rejects.toMatchObject({
      code: 'no_integrity_info',
    });
  });

  it('a VOD manifest is fetched once: complete, it is never asked for again', async () => {
    const vod = await VodFixture.create({ count: 3, sizeBytes: 500 });
    const { clock, cdn, registry } = registryFor(vod.content);
    registry.setPlaylistUrl('240p', vod.playlistUrl);
    expect(registry.mayStillSign('240p')).toBe(true);
    expect((await settle(clock, registry.entry('240p', 2)))?.sizeBytes).toBe(500);
    // A complete manifest lacks it for good: answered at once, no refetch delay.
    const askedAtMs = clock.now();
    expect(await settle(clock, registry.entry('240p', 9))).toBeUndefined();
    expect(clock.now() - askedAtMs).toBeLessThan(100);
    await settle(clock, registry.refresh('240p'));
    expect(cdn.manifestRequests()).toHaveLength(1);
    expect(registry.mayStillSign('240p')).toBe(false);
    await clock.advance(11_000);
    expect(registry.mayStillSign('240p')).toBe(false);
    expect(registry.liveManifestAnswering('240p')).toBe(false);
  });

  it('concurrent refreshes share one fetch', async () => {
    const vod = await VodFixture.create({ count: 1, sizeBytes: 100 });
    const { clock, cdn, registry } = registryFor(vod.content);
    registry.setPlaylistUrl('240p', vod.playlistUrl);
    await settle(clock, Promise.all([registry.refresh('240p'), registry.refresh('240p')]));
    expect(cdn.manifestRequests()).toHaveLength(1);
  });

  it('a VOD manifest that failed is tried again only after ten seconds', async () => {
    const vod = await VodFixture.create({ count: 1, sizeBytes: 100 });
    const { clock, cdn, registry } = registryFor(vod.content);
    cdn.failing.add(vod.playlistUrl.replace(/[^/]+$/, 'integrity.json'));
    registry.setPlaylistUrl('240p', vod.playlistUrl);
    await clock.advance(5_000); // not at time 0, where now - t and now + t agree
    const fetchedAtMs = clock.now();
    await settle(clock, registry.refresh('240p'));
    expect(registry.mayStillSign('240p')).toBe(false);
    await clock.advance(fetchedAtMs + 9_999 - clock.now());
    expect(registry.mayStillSign('240p')).toBe(false);
    await clock.advance(1);
    expect(registry.mayStillSign('240p')).toBe(true);
  });

  it('nothing is fetched before the start-up hold ends', async () => {
    const vod = await VodFixture.create({ count: 1, sizeBytes: 100 });
    const { clock, cdn, hold, registry } = registryFor(vod.content, { holdMs: 60_000 });
    registry.setPlaylistUrl('240p', vod.playlistUrl);
    const entry = registry.entry('240p', 0);
    await clock.advance(5_000);
    expect(cdn.manifestRequests()).toHaveLength(0);
    hold.release();
    expect((await settle(clock, entry))?.sequence).toBe(0);
    expect(cdn.manifestRequests()).toHaveLength(1);
  });

  it('a manifest signed for another stream or rendition vouches for nothing here', async () => {
    const vod = await VodFixture.create({ count: 1, sizeBytes: 100 });
    const other = registryFor(vod.content, { streamId: 'other' });
    other.registry.setPlaylistUrl('240p', vod.playlistUrl);
    expect(await settle(other.clock, other.registry.entry('240p', 0))).toBeUndefined();
    const renamed = registryFor(vod.content);
    renamed.registry.setPlaylistUrl('480p', vod.playlistUrl);
    expect(await settle(renamed.clock, renamed.registry.entry('480p', 0))).toBeUndefined();
  });

  it('a live entry not signed yet is asked for again, no sooner than minRefetchMs after the last fetch', async () => {
    const live = new LiveFixture('live', '240p', 100);
    await live.publish();
    const { clock, cdn, registry } = registryFor(live.content, {
      streamId: 'live',
      minRefetchMs: 1_000,
    });
    registry.setPlaylistUrl('240p', live.playlistUrl);
    await clock.advance(5_000); // not at time 0, where now - t and now + t agree
    expect(await settle(clock, registry.entry('240p', 0))).toBeDefined();
    expect(registry.liveManifestAnswering('240p')).toBe(true);
    expect(registry.mayStillSign('240p')).toBe(true);
    const firstAtMs = cdn.manifestRequests()[0]!.atMs;
    await live.publish();
    expect((await settle(clock, registry.entry('240p', 1)))?.sequence).toBe(1);
    const times = cdn.manifestRequests().map((request) => request.atMs);
    expect(times).toHaveLength(2);
    expect(times[1]! - firstAtMs).toBeGreaterThanOrEqual(1_000);
    expect(times[1]! - firstAtMs).toBeLessThan(1_100);
  });

  it('an unreachable live manifest is not "answering", so nobody asks again soon', async () => {
    const live = new LiveFixture('live', '240p', 100);
    await live.publish();
    const { clock, cdn, registry } = registryFor(live.content, { streamId: 'live' });
    registry.setPlaylistUrl('240p', live.playlistUrl);
    await settle(clock, registry.refresh('240p'));
    expect(registry.liveManifestAnswering('240p')).toBe(true);
    cdn.failing.add(live.playlistUrl.replace(/[^/]+$/, 'integrity.json'));
    await settle(clock, registry.refresh('240p'));
    expect(registry.liveManifestAnswering('240p')).toBe(false);
  });

  it('the same playlist URL keeps what is known; a new one starts over', async () => {
    const live = new LiveFixture('live', '240p', 100);
    await live.publish();
    const [entry] = await liveEntries(live);
    const { clock, registry } = registryFor(live.content, { streamId: 'live' });
    registry.setPlaylistUrl('240p', live.playlistUrl);
    expect(await settle(clock, registry.acceptSigned('240p', entry!))).toBe('added');
    registry.setPlaylistUrl('240p', live.playlistUrl);
    expect(registry.known('240p', 0)).toBeDefined();
    registry.setPlaylistUrl('240p', live.playlistUrl.replace('/240p/', '/240p-b/'));
    expect(registry.known('240p', 0)).toBeUndefined();
  });

  it('keeps the newest 512 live entries per rendition and ignores a peer entry older than all of them', async () => {
    const live = new LiveFixture('live', '240p', 16, 2, 520);
    for (let i = 0; i < 515; i++) await live.publish();
    const entries = await liveEntries(live);
    const { clock, registry } = registryFor(live.content, { streamId: 'live' });
    registry.setPlaylistUrl('240p', live.playlistUrl);
    for (const entry of entries.slice(1)) await settle(clock, registry.acceptSigned('240p', entry));
    // 514 accepted: the two oldest (1, 2) are forgotten, the newest kept.
    expect(registry.known('240p', 1)).toBeUndefined();
    expect(registry.known('240p', 2)).toBeUndefined();
    expect(registry.known('240p', 3)).toBeDefined();
    expect(registry.known('240p', 514)).toBeDefined();
    expect(await settle(clock, registry.acceptSigned('240p', entries[0]!))).toBe('ignored');
    expect(registry.known('240p', 0)).toBeUndefined();
  });

  it('forgets the lowest sequence, not the first received, and takes a gap above the oldest', async () => {
    const live = new LiveFixture('live', '240p', 16, 2, 520);
    for (let i = 0; i < 515; i++) await live.publish();
    const entries = await liveEntries(live);
    const { clock, registry } = registryFor(live.content, { streamId: 'live' });
    registry.setPlaylistUrl('240p', live.playlistUrl);
    // Newest first, 514 down to 2 without 300: 512 entries.
    for (const entry of entries.slice(2).reverse())
      if (entry.sequence !== 300) await settle(clock, registry.acceptSigned('240p', entry));
    expect(await settle(clock, registry.acceptSigned('240p', entries[300]!))).toBe('added');
    expect(registry.known('240p', 2)).toBeUndefined();
    expect(registry.known('240p', 3)).toBeDefined();
    expect(registry.known('240p', 514)).toBeDefined();
    expect(registry.known('240p', 300)).toBeDefined();
  });

  it('the same entry from two peers at once: one adds it, the other finds it known', async () => {
    const live = new LiveFixture('live', '240p', 100);
    await live.publish();
    const [entry] = await liveEntries(live);
    const { clock, registry } = registryFor(live.content, { streamId: 'live' });
    registry.setPlaylistUrl('240p', live.playlistUrl);
    const outcomes = await settle(
      clock,
      Promise.all([registry.acceptSigned('240p', entry!), registry.acceptSigned('240p', entry!)]),
    );
    expect(outcomes.sort()).toEqual(['added', 'known']);
  });

  it('a manifest whose entries do not match their signatures vouches for none of them', async () => {
    const tamper = (content: (url: string) => Uint8Array | undefined) => (url: string) => {
      const bytes = content(url);
      if (!bytes || !url.endsWith('/integrity.json')) return bytes;
      const manifest = JSON.parse(new TextDecoder().decode(bytes)) as {
        segments: Array<{ sizeBytes: number }>;
      };
      manifest.segments[0]!.sizeBytes += 1;
      return new TextEncoder().encode(JSON.stringify(manifest));
    };
    const vod = await VodFixture.create({ count: 2, sizeBytes: 100 });
    const forVod = registryFor(tamper(vod.content));
    forVod.registry.setPlaylistUrl('240p', vod.playlistUrl);
    expect(await settle(forVod.clock, forVod.registry.entry('240p', 1))).toBeUndefined();
    const live = new LiveFixture('live', '240p', 100);
    await live.publish();
    await live.publish();
    const forLive = registryFor(tamper(live.content), { streamId: 'live' });
    forLive.registry.setPlaylistUrl('240p', live.playlistUrl);
    expect(await settle(forLive.clock, forLive.registry.entry('240p', 1))).toBeDefined();
    expect(forLive.registry.known('240p', 0)).toBeUndefined();
  });

  it('destroyed during the start-up hold: the manifest is never fetched', async () => {
    const vod = await VodFixture.create({ count: 1, sizeBytes: 100 });
    const { clock, cdn, hold, registry } = registryFor(vod.content, { holdMs: 60_000 });
    registry.setPlaylistUrl('240p', vod.playlistUrl);
    void registry.refresh('240p');
    registry.destroy();
    hold.release();
    await clock.advance(1_000);
    expect(cdn.manifestRequests()).toHaveLength(0);
  });

  it('after destroy: no fetch, nothing may be signed, peer entries ignored', async () => {
    const live = new LiveFixture('live', '240p', 100);
    await live.publish();
    const [entry] = await liveEntries(live);
    const { clock, cdn, registry } = registryFor(live.content, { streamId: 'live' });
    registry.setPlaylistUrl('240p', live.playlistUrl);
    registry.destroy();
    registry.destroy();
    await settle(clock, registry.refresh('240p'));
    expect(cdn.manifestRequests()).toHaveLength(0);
    expect(registry.mayStillSign('240p')).toBe(false);
    expect(await settle(clock, registry.acceptSigned('240p', entry!))).toBe('ignored');
  });
});
