import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getJson,
  joinedClient,
  joinMessage,
  makeKeys,
  signToken,
  startTracker,
  type RunningTracker,
  type TestClient,
  type TokenKeys,
} from './support.js';

/**
 * A rolling upgrade of the player: members of one swarm that speak different peer protocol
 * versions are never introduced, never relayed to each other and elect live fetchers apart.
 */

describe('peer protocol versions in one swarm', () => {
  const swarmId = 'rollout/720p';
  let keys: TokenKeys;
  let tracker: RunningTracker;
  let token: string;
  /** A player from before `peerProtocol` (speaks 1), and two of version 2. */
  let old: TestClient;
  let newA: TestClient;
  let newB: TestClient;
  const clients: TestClient[] = [];

  async function join(peerProtocol: number | undefined, sub = 'viewer-1') {
    const viewerToken =
      sub === 'viewer-1' ? token : await signToken(keys, { stream: 'rollout', sub });
    const client = await joinedClient(tracker.wsUrl, {
      swarmId,
      token: viewerToken,
      live: true,
      peerProtocol,
    });
    clients.push(client);
    return client;
  }

  async function peersOf(client: TestClient): Promise<string[]> {
    client.send({ type: 'get-peers', swarmId, need: [], max: 20 });
    const answer = await client.upcoming('peers');
    expect(answer.swarmId).toBe(swarmId);
    return answer.peers.map((peer) => peer.peerId).sort();
  }

  beforeAll(async () => {
    keys = await makeKeys();
    tracker = await startTracker(keys, { HEARTBEAT_MS: '60000' });
    token = await signToken(keys, { stream: 'rollout' });
    old = await join(undefined);
    newA = await join(2);
    // Another viewer: one viewer holds one fetcher seat.
    newB = await join(2, 'viewer-2');
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await tracker.close();
  });

  it('introduces members only to members of their own version', async () => {
    expect(await peersOf(newA)).toEqual([newB.peerId]);
    expect(await peersOf(newB)).toEqual([newA.peerId]);
    expect(await peersOf(old)).toEqual([]);
    // A second player of the old build meets the first one.
    const oldToo = await join(1);
    expect(await peersOf(oldToo)).toEqual([old.peerId]);
    oldToo.send({ type: 'leave', swarmId });
    await oldToo.settle();
  });

  it('elects live fetchers per version; each election names the swarm', async () => {
    const byOld = await old.nextOf('election', (m) => m.fetchers.length === 1);
    expect(byOld).toMatchObject({ swarmId, fetchers: [old.peerId] });
    const byNew = await newA.nextOf('election', (m) => m.fetchers.length === 2);
    expect(byNew.swarmId).toBe(swarmId);
    expect([...byNew.fetchers].sort()).toEqual([newA.peerId, newB.peerId].sort());
    for (const election of old.all('election')) {
      expect(election.fetchers).not.toContain(newA.peerId);
      expect(election.fetchers).not.toContain(newB.peerId);
    }
    for (const election of [...newA.all('election'), ...newB.all('election')]) {
      expect(election.fetchers).not.toContain(old.peerId);
    }
  });

  it('refuses to relay a signal across versions, either way, as to a peer not in the swarm', async () => {
    const offer = { kind: 'offer', connectionId: 'x1', sdp: 'v=0' } as const;
    old.send({ type: 'signal', swarmId, to: newA.peerId, signal: offer });
    expect(await old.upcoming('error')).toMatchObject({ code: 'unknown_peer', ref: 'signal' });
    newA.send({ type: 'signal', swarmId, to: old.peerId, signal: offer });
    expect(await newA.upcoming('error')).toMatchObject({ code: 'unknown_peer', ref: 'signal' });
    newA.send({ type: 'signal', swarmId, to: newB.peerId, signal: offer });
    expect(await newB.next('signal')).toMatchObject({ swarmId, from: newA.peerId });
    await old.settle();
    expect(old.all('signal')).toHaveLength(0);
  });

  it('tells the members of a version, by the swarm id, when one of theirs goes', async () => {
    const leaver = await join(2);
    expect(await peersOf(newA)).toEqual([newB.peerId, leaver.peerId].sort());
    leaver.close();
    expect(await newA.nextOf('peer-gone', (m) => m.peerId === leaver.peerId)).toMatchObject({
      swarmId,
    });
    await old.settle();
    expect(old.all('peer-gone')).toHaveLength(0);
  });

  it('lists each version of the swarm in /stats', async () => {
    const stats = await getJson<{
      perSwarm: Array<{ swarmId: string; peerProtocol: number; peers: number }>;
    }>(`${tracker.httpUrl}/stats`);
    const entries = stats.perSwarm.filter((entry) => entry.swarmId === swarmId);
    expect(entries.map(({ peerProtocol, peers }) => ({ peerProtocol, peers }))).toEqual(
      expect.arrayContaining([
        { peerProtocol: 1, peers: 1 },
        { peerProtocol: 2, peers: 2 },
      ]),
    );
    expect(entries).toHaveLength(2);
  });

  it('keeps one version per connection: a join with another is refused, membership kept', async () => {
    newA.send(joinMessage({ swarmId: 'rollout/480p', token, live: true, peerProtocol: 3 }));
    expect(await newA.upcoming('error')).toMatchObject({
      code: 'bad_message',
      ref: 'join',
      message: expect.stringContaining('peer protocol 2, not 3'),
    });
    expect(await peersOf(newB)).toEqual([newA.peerId]);
    // The same version in another swarm is fine.
    newA.send(joinMessage({ swarmId: 'rollout/480p', token, live: true, peerProtocol: 2 }));
    await newA.nextOf('joined', (m) => m.swarmId === 'rollout/480p');
  });
});
