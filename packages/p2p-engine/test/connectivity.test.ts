import { afterEach, describe, expect, it } from 'vitest';
import {
  candidateAllowed,
  candidateTypeOf,
  pairTypeOf,
  selectedPath,
  withoutRelayCandidates,
  type EngineConfig,
} from '../src/index.js';
import { FakeClock } from './harness/fake-clock.js';
import type { SimNat } from './harness/sim-network.js';
import { VodFixture } from './harness/stream-fixture.js';
import { SimSwarm, type Viewer } from './harness/swarm.js';

const HOST = 'candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host generation 0';
const SRFLX = 'candidate:2 1 udp 1686052607 203.0.113.2 40000 typ srflx raddr 10.0.0.2 rport 5';
const RELAY = 'candidate:3 1 udp 41885439 198.51.100.9 3478 typ relay raddr 203.0.113.2 rport 4';

describe('candidate policy', () => {
  it('reads the candidate type and refuses relay candidates unless relay is allowed', () => {
    expect(candidateTypeOf(HOST)).toBe('host');
    expect(candidateTypeOf(SRFLX)).toBe('srflx');
    expect(candidateTypeOf(RELAY)).toBe('relay');
    expect(candidateTypeOf('candidate:1 1 udp 1 1.2.3.4 5 typ weird')).toBeNull();
    expect(candidateTypeOf('')).toBeNull();
    expect(candidateAllowed(RELAY, false)).toBe(false);
    expect(candidateAllowed(RELAY, true)).toBe(true);
    expect(candidateAllowed(SRFLX, false)).toBe(true);
    // The end-of-candidates marker passes.
    expect(candidateAllowed('', false)).toBe(true);
  });

  it('removes relay candidate lines from an SDP and keeps everything else', () => {
    const sdp = ['v=0', `a=${HOST}`, `a=${RELAY}`, `a=${SRFLX}`, 'a=end-of-candidates', ''].join(
      '\r\n',
    );
    const stripped = withoutRelayCandidates(sdp);
    expect(stripped).toBe(
      ['v=0', `a=${HOST}`, `a=${SRFLX}`, 'a=end-of-candidates', ''].join('\r\n'),
    );
    expect(withoutRelayCandidates('v=0\r\n')).toBe('v=0\r\n');
  });

  it("a pair's type is the less direct of its two candidates", () => {
    expect(pairTypeOf('host', 'host')).toBe('host');
    expect(pairTypeOf('host', 'prflx')).toBe('prflx');
    expect(pairTypeOf('srflx', 'prflx')).toBe('srflx');
    expect(pairTypeOf('prflx', 'srflx')).toBe('srflx');
    expect(pairTypeOf('relay', 'host')).toBe('relay');
    expect(pairTypeOf('srflx', 'relay')).toBe('relay');
  });
});

describe('selected pair from getStats', () => {
  const candidates = [
    { type: 'local-candidate', id: 'L1', candidateType: 'host' },
    { type: 'local-candidate', id: 'L2', candidateType: 'srflx' },
    { type: 'remote-candidate', id: 'R1', candidateType: 'prflx' },
    { type: 'remote-candidate', id: 'R2', candidateType: 'relay' },
  ];

  it("follows the transport's selectedCandidatePairId (Chromium, werift), as a Map or a list", () => {
    const entries = [
      ...candidates,
      {
        type: 'candidate-pair',
        id: 'P1',
        localCandidateId: 'L1',
        remoteCandidateId: 'R2',
        nominated: true,
        state: 'succeeded',
      },
      {
        type: 'candidate-pair',
        id: 'P2',
        localCandidateId: 'L2',
        remoteCandidateId: 'R1',
        nominated: false,
        state: 'succeeded',
      },
      { type: 'transport', id: 'T', selectedCandidatePairId: 'P2' },
    ];
    const report = new Map(entries.map((entry) => [entry.id, entry]));
    expect(selectedPath(report).type).toBe('srflx');
    expect(selectedPath(entries).type).toBe('srflx');
  });

  it('falls back to a pair flagged selected (Firefox), then to a nominated pair that succeeded', () => {
    const selected = [
      ...candidates,
      {
        type: 'candidate-pair',
        id: 'P1',
        localCandidateId: 'L1',
        remoteCandidateId: 'R1',
        selected: true,
      },
    ];
    expect(selectedPath(selected).type).toBe('prflx');
    const nominated = [
      ...candidates,
      {
        type: 'candidate-pair',
        id: 'P0',
        localCandidateId: 'L1',
        remoteCandidateId: 'R2',
        nominated: true,
        state: 'in-progress',
      },
      {
        type: 'candidate-pair',
        id: 'P1',
        localCandidateId: 'L1',
        remoteCandidateId: 'R2',
        nominated: true,
        state: 'succeeded',
      },
    ];
    expect(selectedPath(nominated).type).toBe('relay');
  });

  it('says null when the report does not tell', () => {
    expect(selectedPath(new Map()).type).toBeNull();
    expect(selectedPath(null).type).toBeNull();
    expect(
      selectedPath([{ type: 'transport', id: 'T', selectedCandidatePairId: 'gone' }]).type,
    ).toBeNull();
    const unknownCandidate = [
      { type: 'local-candidate', id: 'L1', candidateType: 'mdns' },
      { type: 'remote-candidate', id: 'R1', candidateType: 'host' },
      {
        type: 'candidate-pair',
        id: 'P1',
        localCandidateId: 'L1',
        remoteCandidateId: 'R1',
        selected: true,
      },
    ];
    expect(selectedPath(unknownCandidate).type).toBeNull();
  });

  it("reads the selected pair's round trip in ms (seconds in the report), null when not measured", () => {
    const pair = (id: string, currentRoundTripTime?: unknown) => ({
      type: 'candidate-pair',
      id,
      localCandidateId: 'L1',
      remoteCandidateId: 'R1',
      nominated: true,
      state: 'succeeded',
      ...(currentRoundTripTime === undefined ? {} : { currentRoundTripTime }),
    });
    const report = [
      ...candidates,
      pair('P1', 0.5),
      pair('P2', 0.084),
      { type: 'transport', id: 'T', selectedCandidatePairId: 'P2' },
    ];
    expect(selectedPath(report).rttMs).toBe(84);
    expect(selectedPath(new Map(report.map((entry) => [entry.id, entry]))).rttMs).toBe(84);
    expect(selectedPath([...candidates, pair('P1')]).rttMs).toBeNull();
    expect(selectedPath([...candidates, pair('P1', -1)]).rttMs).toBeNull();
    expect(selectedPath([...candidates, pair('P1', Number.NaN)]).rttMs).toBeNull();
    expect(selectedPath([...candidates, pair('P1', '0.1')]).rttMs).toBeNull();
    expect(selectedPath([...candidates, pair('P1', 0)]).rttMs).toBe(0);
    expect(selectedPath(null).rttMs).toBeNull();
  });
});

let swarm: SimSwarm | null = null;
afterEach(() => {
  swarm?.destroy();
  swarm = null;
});

interface Home {
  nat: SimNat;
  turn?: boolean;
}

/** A seeder that holds the whole VOD, then a viewer that plays it; each in its own home. */
async function twoHomes(
  seederHome: Home,
  viewerHome: Home,
  config: Partial<EngineConfig> = {},
  setUp: (s: SimSwarm) => void = () => undefined,
  segments = 10,
) {
  const clock = new FakeClock();
  const fixture = await VodFixture.create({ count: segments, sizeBytes: 100_000 });
  swarm = new SimSwarm(clock, fixture.content, 'demo');
  setUp(swarm);
  const seeder = swarm.addViewer({ config });
  swarm.network.setConnectivity(seeder.id, seederHome);
  swarm.play(seeder, { playlistUrl: fixture.playlistUrl });
  await clock.advance(30_000);
  const viewer = swarm.addViewer({ config });
  swarm.network.setConnectivity(viewer.id, viewerHome);
  const player = swarm.play(viewer, { playlistUrl: fixture.playlistUrl });
  return { clock, fixture, seeder, viewer, player, swarm };
}

function relayCandidatesSignalled(s: SimSwarm): number {
  let count = 0;
  for (const message of s.tracker.received) {
    if (message.type === 'signal' && message.signal.kind === 'candidate')
      if (candidateTypeOf(message.signal.candidate) === 'relay') count++;
    if (message.type === 'signal' && message.signal.kind !== 'candidate')
      if (message.signal.sdp.includes('typ relay')) count++;
  }
  return count;
}

function opened(viewer: Viewer) {
  return viewer.engine.stats.peerConnections.opened;
}

describe('connectivity policy on the simulated network', () => {
  it('two homes behind cone NATs connect over server-reflexive candidates and share', async () => {
    const { clock, viewer, seeder, player } = await twoHomes({ nat: 'cone' }, { nat: 'cone' });
    await clock.advance(40_000);
    expect(player.stats.segmentsLoaded).toBe(10);
    expect(player.stats.stalls).toBe(0);
    expect(viewer.engine.stats.p2pBytes).toBeGreaterThan(5 * 100_000);
    expect(opened(viewer)).toEqual({ host: 0, srflx: 1, prflx: 0, relay: 0, unknown: 0 });
    expect(opened(seeder).srflx).toBe(1);
    expect(viewer.engine.stats.p2pEligible).toBe(true);
    expect(viewer.engine.stats.peerConnections.attempts).toBe(1);
    expect(viewer.engine.stats.peerConnections.failed).toBe(0);
  });

  it('a set-up that opened on the answering side only is replaced when the offerer tries again', async () => {
    const { clock, viewer, seeder, player } = await twoHomes(
      { nat: 'cone' },
      { nat: 'cone' },
      {},
      (s) => (s.network.halfOpenNext = true),
    );
    // The viewer offered; the seeder's side opened, the viewer's never did and was given up.
    await clock.advanceUntil(() => viewer.engine.stats.peerConnections.failed >= 1, 9_000);
    expect(seeder.engine.stats.peers).toBe(1);
    expect(viewer.engine.stats.peers).toBe(0);
    // Its next offer (after the retry delay) replaces the seeder's dead connection.
    await clock.advanceUntil(() => viewer.engine.stats.peers === 1, 60_000);
    expect(opened(viewer)).toEqual({ host: 0, srflx: 1, prflx: 0, relay: 0, unknown: 0 });
    expect(viewer.engine.stats.peerConnections.attempts).toBe(2);
    // One connection on each side: the dead one is gone.
    expect(seeder.engine.stats.peers).toBe(1);
    await clock.advance(30_000);
    expect(player.stats.stalls).toBe(0);
  });

  it("a lost first message (the answerer's handshake) is asked for again: the pair shares", async () => {
    const { clock, viewer, seeder, player } = await twoHomes(
      { nat: 'cone' },
      { nat: 'cone' },
      {},
      (s) => (s.network.loseFirstMessageNext = true),
    );
    // The viewer offered; the seeder's handshake never came, its bitfield did.
    await clock.advance(40_000);
    expect(player.stats.segmentsLoaded).toBe(10);
    expect(player.stats.stalls).toBe(0);
    expect(viewer.engine.stats.p2pBytes).toBeGreaterThan(5 * 100_000);
    expect(viewer.engine.stats.peerConnections.attempts).toBe(1);
    expect(seeder.engine.stats.uploadedBytes).toBe(viewer.engine.stats.p2pBytes);
    expect(swarm!.tracker.received.filter((message) => message.type === 'report')).toEqual([]);
  });

  it('beacons carry the connection counts by pair type and the eligibility', async () => {
    // A symmetric NAT reaches a viewer on the open network (not one behind another NAT).
    const { clock, viewer } = await twoHomes(
      { nat: 'open' },
      { nat: 'symmetric' },
      { beaconIntervalMs: 1_000 },
    );
    await clock.advance(10_000);
    const beacons = swarm!.tracker.received.filter((message) => message.type === 'beacon');
    const last = beacons[beacons.length - 1];
    expect(last?.type === 'beacon' && last.stats).toMatchObject({
      peerAttempts: 1,
      peerFailures: 0,
      relayRefused: 0,
      pairsHost: 0,
      pairsSrflx: 1,
      pairsPrflx: 0,
      pairsRelay: 0,
      pairsUnknown: 0,
      p2pEligible: true,
    });
    expect(viewer.engine.stats.p2pEligible).toBe(true);
  });

  it('behind symmetric NATs with relay not allowed: no relay candidate leaves, the set-up fails fast, the viewer plays from the CDN and is not eligible', async () => {
    const {
      clock,
      viewer,
      player,
      swarm: s,
    } = await twoHomes({ nat: 'symmetric', turn: true }, { nat: 'symmetric', turn: true });
    // The first attempt is given up after peerConnectTimeoutMs (5 s by default).
    await clock.advanceUntil(() => viewer.engine.stats.peerConnections.failed >= 1, 9_000);
    expect(viewer.engine.stats.peers).toBe(0);
    await clock.advance(40_000);
    expect(player.stats.segmentsLoaded).toBe(10);
    expect(player.stats.stalls).toBe(0);
    expect(viewer.engine.stats.p2pBytes).toBe(0);
    expect(viewer.engine.stats.p2pEligible).toBe(false);
    expect(relayCandidatesSignalled(s)).toBe(0);
    const connections = viewer.engine.stats.peerConnections;
    expect(connections.attempts).toBe(connections.failed);
    // A peer that failed is not retried at once: a few attempts in 40 s, not one per refresh.
    expect(connections.attempts).toBeLessThanOrEqual(4);
  });

  it('a viewer whose peers cannot connect starts as fast as a lone viewer', async () => {
    const lone = await twoHomes({ nat: 'symmetric' }, { nat: 'symmetric' }, {}, (s) => {
      // The seeder never gets to the tracker: the viewer has nobody to try.
      s.tracker.stop();
    });
    await lone.clock.advance(40_000);
    const loneStartupMs = lone.player.stats.startupMs;
    lone.swarm.destroy();
    const tried = await twoHomes({ nat: 'symmetric' }, { nat: 'symmetric' });
    await tried.clock.advance(40_000);
    expect(tried.viewer.engine.stats.peerConnections.failed).toBeGreaterThanOrEqual(1);
    expect(loneStartupMs).not.toBeNull();
    expect(tried.player.stats.startupMs).toBe(loneStartupMs);
    expect(tried.player.stats.stalls).toBe(0);
  });

  it('a viewer whose peers cannot connect buffers as far ahead as a lone viewer once its first discovery is over', async () => {
    // A 60 s clip with a 30 s buffer: a lone viewer has 15 segments loaded within seconds.
    const buffered = async (setUp: (s: SimSwarm) => void) => {
      const run = await twoHomes({ nat: 'symmetric' }, { nat: 'symmetric' }, {}, setUp, 30);
      const aheadSec: number[] = [];
      for (let sec = 1; sec <= 40; sec++) {
        await run.clock.advance(1_000);
        aheadSec.push(run.player.stats.bufferedAheadSec);
      }
      const failed = run.viewer.engine.stats.peerConnections.failed;
      run.swarm.destroy();
      return { aheadSec, failed, stalls: run.player.stats.stalls };
    };
    const lone = await buffered((s) => s.tracker.stop());
    const tried = await buffered(() => undefined);
    // It kept trying (failed set-ups are retried after 5, 10, 20 s) and never stalled...
    expect(tried.failed).toBeGreaterThanOrEqual(2);
    expect(tried.stalls).toBe(0);
    // ...and from 10 s on (start-up, then at most one connect timeout of waiting for peers
    // that might hold its segments) its buffer is the lone viewer's, not one that each
    // retried set-up drains to the CDN's last moment.
    expect(tried.aheadSec.slice(10)).toEqual(lone.aheadSec.slice(10));
  });

  it('with relay allowed, symmetric homes connect through the relay and count it', async () => {
    const {
      clock,
      viewer,
      player,
      swarm: s,
    } = await twoHomes(
      { nat: 'symmetric', turn: true },
      { nat: 'symmetric', turn: true },
      { relayAllowed: true },
    );
    await clock.advance(40_000);
    expect(player.stats.stalls).toBe(0);
    expect(opened(viewer)).toEqual({ host: 0, srflx: 0, prflx: 0, relay: 1, unknown: 0 });
    expect(viewer.engine.stats.p2pEligible).toBe(true);
    expect(viewer.engine.stats.p2pBytes).toBeGreaterThan(5 * 100_000);
    expect(relayCandidatesSignalled(s)).toBeGreaterThan(0);
  });

  it('with relay allowed, direct pairs still win where they work', async () => {
    const { clock, viewer } = await twoHomes(
      { nat: 'cone', turn: true },
      { nat: 'cone', turn: true },
      { relayAllowed: true },
    );
    await clock.advance(10_000);
    expect(opened(viewer)).toEqual({ host: 0, srflx: 1, prflx: 0, relay: 0, unknown: 0 });
  });

  it('a connection that lands on a relay anyway is closed and counted as refused', async () => {
    const { clock, viewer, player } = await twoHomes(
      { nat: 'cone' },
      { nat: 'cone' },
      {},
      (s) => (s.network.forcedPairType = 'relay'),
    );
    await clock.advance(40_000);
    const connections = viewer.engine.stats.peerConnections;
    expect(connections.relayRefused).toBeGreaterThanOrEqual(1);
    expect(opened(viewer).relay).toBe(0);
    expect(viewer.engine.stats.p2pEligible).toBe(false);
    expect(viewer.engine.stats.peers).toBe(0);
    expect(player.stats.segmentsLoaded).toBe(10);
    expect(player.stats.stalls).toBe(0);
  });

  it('reads the stats once per connection opened, for both its pair type and round trip', async () => {
    // No periodic refresh in this test: only the reads on open are counted.
    const {
      clock,
      viewer,
      seeder,
      swarm: s,
    } = await twoHomes({ nat: 'cone' }, { nat: 'cone' }, { peerRefreshIntervalMs: 600_000 });
    await clock.advanceUntil(
      () => (viewer.engine.stats.peerDetails[0]?.rttMs ?? null) !== null,
      10_000,
    );
    expect(opened(viewer)).toEqual({ host: 0, srflx: 1, prflx: 0, relay: 0, unknown: 0 });
    expect(opened(seeder).srflx).toBe(1);
    expect(viewer.engine.stats.peerDetails[0]?.rttMs).toBe(s.network.latencyMs * 2);
    // One connection, opened on both ends: one read each.
    expect(s.network.statsReads).toBe(2);
  });

  it('a stack without stats counts its connections as unknown', async () => {
    const { clock, viewer } = await twoHomes({ nat: 'open' }, { nat: 'open' }, {}, (s) => {
      s.network.statsAvailable = false;
    });
    await clock.advance(10_000);
    expect(opened(viewer)).toEqual({ host: 0, srflx: 0, prflx: 0, relay: 0, unknown: 1 });
    expect(viewer.engine.stats.p2pEligible).toBe(true);
  });
});
