import { electedFetchers, type ElectionMessage } from '@coral-cdn/protocol';
import { waitFor } from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  beaconStats,
  getJson,
  joinedClient,
  makeKeys,
  signToken,
  startTracker,
  type RunningTracker,
  type TestClient,
  type TokenKeys,
} from './support.js';

describe('live election over WebSocket', () => {
  let keys: TokenKeys;
  let tracker: RunningTracker;
  const clients: TestClient[] = [];
  const swarmId = 'live1/720p';
  let viewers = 0;

  beforeAll(async () => {
    keys = await makeKeys();
    tracker = await startTracker(keys, {
      LIVE_FETCHER_CANDIDATES: '2',
      LIVE_FETCHERS_PER_SEGMENT: '1',
    });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await tracker.close();
  });

  const join = async (uploadKbps: number) => {
    // A viewer holds one seat: each member joins with a token of its own.
    const token = await signToken(keys, { stream: 'live1', sub: `viewer-${++viewers}` });
    const client = await joinedClient(tracker.wsUrl, { swarmId, token, live: true, uploadKbps });
    clients.push(client);
    return client;
  };
  const latest = (client: TestClient) => client.all('election').at(-1);

  it('sends the first member an election naming itself, right after joined', async () => {
    const first = await join(1000);
    const election = await first.next('election');
    expect(election).toEqual({
      type: 'election',
      swarmId,
      epoch: 1,
      fetchers: [first.peerId],
      perSegment: 1,
    });
    const types = first.received.map((m) => m.type);
    expect(types.indexOf('joined')).toBeLessThan(types.indexOf('election'));
  });

  it('adds a better uplink with a new epoch, sent to every member; a weaker joiner changes nothing', async () => {
    const [first] = clients;
    const second = await join(8000);
    const bumped = await first!.nextOf('election', (m) => m.epoch === 2);
    expect([...bumped.fetchers].sort()).toEqual([first!.peerId, second.peerId].sort());
    expect(await second.nextOf('election', (m) => m.epoch === 2)).toEqual(bumped);
    const third = await join(500);
    // The newcomer gets the current election; the candidate set (full at 2) stays.
    expect(await third.next('election')).toEqual(bumped);
    // No later election: none pending on the tracker, and none arrived before that.
    await waitFor('no election pending', async () => {
      const stats = await getJson<{ perSwarm: Array<{ election?: { pending: boolean } }> }>(
        `${tracker.httpUrl}/stats`,
      );
      return stats.perSwarm[0]?.election?.pending === false;
    });
    await first!.sync();
    expect(latest(first!)?.epoch).toBe(2);
  });

  it('lets every peer derive the same fetcher per segment', async () => {
    const elections = clients.map((client) => latest(client) as ElectionMessage);
    for (let sequence = 100; sequence < 110; sequence++) {
      const picks = new Set(elections.map((e) => electedFetchers(e, swarmId, sequence).join()));
      expect(picks.size).toBe(1);
      expect(elections[0]!.fetchers).toContain(
        electedFetchers(elections[0]!, swarmId, sequence)[0],
      );
    }
  });

  it('replaces a fetcher that leaves, with a bumped epoch', async () => {
    const [first, second, third] = clients;
    second!.send({ type: 'leave', swarmId });
    const next = await first!.nextOf('election', (m) => m.epoch === 3);
    expect([...next.fetchers].sort()).toEqual([first!.peerId, third!.peerId].sort());
    expect(await third!.nextOf('election', (m) => m.epoch === 3)).toEqual(next);
  });

  it('shows the election in /stats', async () => {
    const stats = (await (await fetch(`${tracker.httpUrl}/stats`)).json()) as {
      perSwarm: Array<{
        swarmId: string;
        peers: number;
        election?: { epoch: number; fetchers: number };
      }>;
    };
    expect(stats.perSwarm.find((s) => s.swarmId === swarmId)).toMatchObject({
      peers: 2,
      election: { epoch: 3, fetchers: 2 },
    });
  });

  it('does not send elections to VOD members', async () => {
    const vodToken = await signToken(keys, { stream: 'vod1' });
    const vod = await joinedClient(tracker.wsUrl, {
      swarmId: 'vod1/720p',
      token: vodToken,
      live: false,
    });
    clients.push(vod);
    // A live join gets its election while the join is handled: after a round trip, none came.
    await vod.sync();
    expect(vod.all('election')).toHaveLength(0);
  });
});

describe('fetcher seniority', () => {
  it('prefers members that have been in the swarm a while, re-electing as they mature', async () => {
    const keys = await makeKeys();
    const tracker = await startTracker(keys, {
      LIVE_FETCHER_CANDIDATES: '3',
      LIVE_FETCHER_MIN_AGE_MS: '400',
    });
    const token = await signToken(keys, { stream: 'mature', sub: 'a' });
    const tokenB = await signToken(keys, { stream: 'mature', sub: 'b' });
    const swarmId = 'mature/240p';
    const a = await joinedClient(tracker.wsUrl, { swarmId, token, live: true });
    const b = await joinedClient(tracker.wsUrl, { swarmId, token: tokenB, live: true });
    // At first only one (perSegment) young member is elected ...
    const first = await a.next('election');
    expect(first.fetchers).toEqual([a.peerId]);
    // ... and once both have been present for 400 ms, both are.
    const grown = await b.nextOf('election', (m) => m.fetchers.length === 2, 3000);
    expect([...grown.fetchers].sort()).toEqual([a.peerId, b.peerId].sort());
    a.close();
    b.close();
    await tracker.close();
  });
});

/** A tracker with `env` and a live swarm of `stream`, joined by one viewer per `join`. */
async function liveSwarm(stream: string, env: Record<string, string>) {
  const keys = await makeKeys();
  const tracker = await startTracker(keys, { LIVE_FETCHER_CANDIDATES: '3', ...env });
  const join = async (sub: string, uploadKbps: number) =>
    joinedClient(tracker.wsUrl, {
      swarmId: `${stream}/240p`,
      token: await signToken(keys, { stream, sub }),
      live: true,
      uploadKbps,
    });
  return { tracker, join };
}

describe('preferred upload', () => {
  it('leaves a home uplink below the preference out while another member has it', async () => {
    const { tracker, join } = await liveSwarm('prefer', {
      LIVE_FETCHER_PREFERRED_UPLOAD_KBPS: '2000',
    });
    // Alone, the 1 Mbit/s member is the fetcher: a swarm still needs one.
    const slow = await join('slow', 1000);
    expect((await slow.next('election')).fetchers).toEqual([slow.peerId]);
    // A 3 Mbit/s member joins: it alone is elected from then on.
    const fast = await join('fast', 3000);
    const next = await slow.nextOf('election', (m) => m.fetchers.includes(fast.peerId));
    expect(next.fetchers).toEqual([fast.peerId]);
    slow.close();
    fast.close();
    await tracker.close();
  });
});

describe('share of the best upload', () => {
  it('leaves a 3 Mbit/s home out once a 10 Mbit/s one is in the swarm (defaults)', async () => {
    const { tracker, join } = await liveSwarm('share', {
      LIVE_FETCHER_PREFERRED_UPLOAD_KBPS: '2000',
      LIVE_FETCHER_UPLOAD_PERCENT_OF_BEST: '34',
    });
    const three = await join('three', 3000);
    expect((await three.next('election')).fetchers).toEqual([three.peerId]);
    // 34% of 10 Mbit/s is 3.4: the 3 Mbit/s home is no candidate from then on.
    const ten = await join('ten', 10_000);
    const next = await three.nextOf('election', (m) => m.fetchers.includes(ten.peerId));
    expect(next.fetchers).toEqual([ten.peerId]);
    // Another 3 Mbit/s home changes nothing; a 5 Mbit/s one (above 3.4) becomes a candidate.
    const others = [await join('three-b', 3000), await join('five', 5000)];
    const last = await three.nextOf('election', (m) => m.fetchers.includes(others[1]!.peerId));
    expect([...last.fetchers].sort()).toEqual([others[1]!.peerId, ten.peerId].sort());
    for (const client of [three, ten, ...others]) client.close();
    await tracker.close();
  });
});

describe('unreachable members', () => {
  it('leaves a member out while its beacons say none of its peer connections opened', async () => {
    const keys = await makeKeys();
    const tracker = await startTracker(keys, { LIVE_FETCHER_CANDIDATES: '3' });
    const swarmId = 'reach/240p';
    const join = async (sub: string, uploadKbps: number) =>
      joinedClient(tracker.wsUrl, {
        swarmId,
        token: await signToken(keys, { stream: 'reach', sub }),
        live: true,
        uploadKbps,
      });
    const beacon = (p2pEligible: boolean, peerFailures: number) => ({
      type: 'beacon' as const,
      swarmId,
      stats: beaconStats({ peerAttempts: peerFailures, peerFailures, p2pEligible }),
    });
    const home = await join('home', 1000);
    const blocked = await join('blocked', 30_000);
    // The faster uplink is elected beside the home one at first.
    const both = await home.nextOf('election', (m) => m.fetchers.includes(blocked.peerId));
    expect(both.fetchers).toHaveLength(2);
    const without = home.upcoming('election');
    blocked.send(beacon(false, 3));
    expect(await without).toMatchObject({ epoch: both.epoch + 1, fetchers: [home.peerId] });
    // One of its connections opened: it serves again.
    const back = home.upcoming('election');
    blocked.send(beacon(true, 4));
    expect(await back).toMatchObject({ epoch: both.epoch + 2, fetchers: both.fetchers });
    home.close();
    blocked.close();
    await tracker.close();
  });
});
