import { createHash } from 'node:crypto';
import { makeTempDir, waitFor, type TempDir } from '@coral-cdn/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NodePeer, type NodePeerOptions } from '../src/index.js';
import { packageVod, type PackagedStream } from './support/stream.js';
import { startStaticServer, type StaticServer } from './support/static-server.js';
import { startTracker, type TestTracker } from './support/tracker.js';

// Real werift peers, the real tracker process, and a real HTTP server holding a stream that
// ffmpeg really encoded; runs inside the private network namespace (see vitest.config.ts).

let temp: TempDir;
let stream: PackagedStream;
let cdn: StaticServer;
let tracker: TestTracker;
const peers: NodePeer[] = [];

beforeAll(async () => {
  temp = makeTempDir('coral-node-peer-');
  [stream, tracker] = await Promise.all([
    packageVod({ root: temp.path, streamId: 'vod1', durationSec: 12 }),
    // All viewers here share one address (one report group) and are seconds old: one counted
    // report bans, and tenure does not hold it back. The tracker's own tests cover the rules.
    startTracker({ REPORT_BAN_THRESHOLD: '1', REPORT_MIN_TENURE_MS: '0' }),
  ]);
  cdn = await startStaticServer(temp.path);
});

afterEach(() => {
  for (const peer of peers.splice(0)) peer.destroy();
});

afterAll(async () => {
  await tracker?.stop();
  await cdn?.close();
  temp?.remove();
});

async function peer(
  viewerId: string,
  options: Omit<NodePeerOptions, 'source'> = {},
): Promise<NodePeer> {
  const node = new NodePeer({
    source: {
      manifestUrl: `${cdn.url}/vod1/master.m3u8`,
      trackerUrl: tracker.wsUrl,
      token: await tracker.token('vod1', viewerId),
      publicKey: stream.publicKey,
      swarmId: 'vod1',
    },
    rendition: '240p',
    ...(process.env.DEBUG_PEERS
      ? {
          platform: {
            log: (l: string, m: string, f?: object) =>
              console.log(viewerId, l, m, JSON.stringify(f)),
          },
        }
      : {}),
    ...options,
  });
  peers.push(node);
  await node.start();
  return node;
}

const segmentCount = () => stream.segmentBytes['240p']!.length;
const cdnSegmentRequests = (from: number) =>
  cdn.requests.slice(from).filter((path) => path.startsWith('/vod1/240p/seg_'));

describe('werift peers in a swarm', () => {
  it('a seeder and a viewer exchange segments: verified peer bytes, no stall', async () => {
    const seeder = await peer('seeder', { mode: 'seed' });
    expect(seeder.stats().rendition).toBe('240p');
    await waitFor(
      'the seeder to hold the whole VOD',
      () => seeder.stats().engine!.storedSegments === segmentCount(),
      { timeoutMs: 20_000 },
    );
    const requestsBefore = cdn.requests.length;
    // A short buffer target (hls.js: maxBufferLength) leaves segments to load once peers are up.
    const viewer = await peer('viewer', { player: { bufferTargetSec: 4 } });
    // werift measures the selected pair's round trip (ICE checks), which peer choice uses.
    const measured = await waitFor(
      "the viewer to know its path's round trip",
      () => viewer.stats().engine?.peerDetails.find((detail) => detail.rttMs !== null) ?? null,
      { timeoutMs: 20_000 },
    );
    expect(measured.rttMs).toBeGreaterThanOrEqual(0);
    expect(measured.rttMs).toBeLessThan(1_000);
    const ended = await waitFor(
      'the viewer to play to the end',
      () => {
        const stats = viewer.stats();
        return stats.state === 'ended' ? stats : null;
      },
      { timeoutMs: 40_000, intervalMs: 200 },
    );

    const engine = ended.engine!;
    expect(engine.p2pBytes).toBeGreaterThan(0);
    expect(engine.segmentsFromP2p).toBeGreaterThan(0);
    expect(engine.integrityFailures).toBe(0);
    expect(ended.player!.stalls).toBe(0);
    expect(ended.player!.segmentsLoaded).toBe(segmentCount());
    expect(ended.player!.skippedSegments).toBe(0);
    // What came from the peer was not also fetched from the CDN.
    const fromCdn = cdnSegmentRequests(requestsBefore).length;
    expect(fromCdn).toBeLessThan(segmentCount());
    expect(engine.segmentsFromP2p + engine.segmentsMixed + engine.segmentsFromHttp).toBe(
      segmentCount(),
    );
    const seederStats = seeder.stats().engine!;
    expect(seederStats.uploadedBytes).toBeGreaterThanOrEqual(engine.p2pBytes);
    expect(seeder.stats().corrupted).toBeNull();
    // werift's getStats names the selected pair: on loopback a host (or peer-reflexive) one.
    const opened = engine.peerConnections.opened;
    expect(opened.host + opened.prflx).toBeGreaterThanOrEqual(1);
    expect(opened.unknown + opened.relay + opened.srflx).toBe(0);
    expect(engine.p2pEligible).toBe(true);
  });

  it('a corrupting peer is caught on every segment it serves and banned; playback is unaffected', async () => {
    const bad = await peer('bad-seeder', { mode: 'corrupt' });
    await waitFor(
      'the corrupting peer to hold the whole VOD and to have joined the tracker',
      () => bad.stats().engine!.storedSegments === segmentCount() && bad.stats().peerId !== null,
      { timeoutMs: 20_000 },
    );
    const badId = bad.stats().peerId!;
    const viewers = await Promise.all(
      ['viewer-a', 'viewer-b'].map((id) => peer(id, { player: { bufferTargetSec: 4 } })),
    );
    const closedForIntegrity = new Set<number>();
    const stored: Array<{ viewer: number; sequence: number; sha256: string; source: string }> = [];
    viewers.forEach((viewer, index) => {
      viewer.engine!.on('peer-closed', (peerId, reason) => {
        // Its own check ('integrity'), or the tracker's ban of it after another viewer's
        // report reaching this one first ('gone': one report bans here).
        if (peerId === badId && (reason === 'integrity' || reason === 'gone')) {
          closedForIntegrity.add(index);
        }
      });
      // Hash what the player is handed, independently of the engine's own check.
      viewer.engine!.on('segment-stored', (segment) =>
        stored.push({
          viewer: index,
          sequence: segment.sequence,
          sha256: createHash('sha256').update(segment.bytes).digest('hex'),
          source: segment.source,
        }),
      );
    });
    const finals = await Promise.all(
      viewers.map((viewer) =>
        waitFor(
          'the viewer to play to the end',
          () => {
            const stats = viewer.stats();
            return stats.state === 'ended' ? stats : null;
          },
          { timeoutMs: 40_000, intervalMs: 200 },
        ),
      ),
    );

    const corrupted = bad.stats().corrupted!;
    expect(corrupted.frames).toBeGreaterThan(0);
    expect(bad.stats().engine!.uploadedBytes).toBe(corrupted.bytes);
    finals.forEach((stats, index) => {
      // Each viewer dropped the peer: by its own check after getting bad bytes, or because the
      // tracker banned it first after the other viewer's report (then nothing was discarded)...
      if (stats.engine!.integrityFailures > 0) {
        expect(stats.engine!.p2pDiscardedBytes).toBeGreaterThan(0);
      }
      expect(closedForIntegrity.has(index)).toBe(true);
      // ...and played every segment, without a stall.
      expect(stats.player!.stalls).toBe(0);
      expect(stats.player!.segmentsLoaded).toBe(segmentCount());
      expect(stats.player!.skippedSegments).toBe(0);
    });
    // At least one viewer caught it by its own check (the report that got it banned).
    expect(finals.some((stats) => stats.engine!.integrityFailures >= 1)).toBe(true);
    // Bytes still in the bad peer's send buffer when it was dropped never arrived.
    const discarded = finals.reduce((sum, stats) => sum + stats.engine!.p2pDiscardedBytes, 0);
    expect(discarded).toBeLessThanOrEqual(corrupted.bytes);
    // Not one corrupted byte reached a player: every segment handed over matches its hash.
    expect(stored.length).toBeGreaterThanOrEqual(2 * segmentCount());
    for (const segment of stored) {
      expect(segment.sha256).toBe(stream.segmentSha256['240p']![segment.sequence]);
    }
    // A viewer it was introduced to reported it: the tracker bans it from the swarm.
    await waitFor('the tracker to ban the corrupting viewer', () =>
      tracker.service.output().includes('viewer banned from swarm'),
    );
    await waitFor('the banned peer to leave the swarm', async () => {
      const stats = await tracker.stats();
      return stats.perSwarm.find((swarm) => swarm.swarmId === 'vod1/240p')?.peers === 2;
    });
  });
});
