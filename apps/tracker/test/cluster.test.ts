import {
  startRedis,
  waitFor,
  type RedisServer,
  type RunningService,
} from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectThroughTracker,
  joinedClient,
  joinMessage,
  makeKeys,
  signToken,
  TestClient,
  type TokenKeys,
} from './support.js';
import { startTwoNodes, type TwoNodes } from './two-nodes.js';

/**
 * Two built tracker processes sharing one real redis-server: cross-node matching, signalling,
 * elections and peer-gone; then Redis is killed (both degrade to their own peers, and say so)
 * and restarted (both re-register their peers and match across nodes again).
 */

let redis: RedisServer;
let keys: TokenKeys;
let nodes: TwoNodes;
let nodeA: RunningService;
let nodeB: RunningService;
let clients: TestClient[];
const swarmId = 'cluster/720p';
let token: string;

const wsUrl = (node: RunningService) => nodes.wsUrl(node);
const stats = (node: RunningService) => nodes.stats(node);

let joins = 0;
/** A live member with a viewer and an address block of its own. */
async function join(node: RunningService, uploadKbps: number, have: number[] = []) {
  const n = ++joins;
  const viewerToken = await signToken(keys, { stream: 'cluster', sub: `live-${n}` });
  const client = await joinedClient(wsUrl(node), {
    swarmId,
    token: viewerToken,
    live: true,
    uploadKbps,
    have,
    address: `10.9.${n}.7`,
  });
  clients.push(client);
  return client;
}

async function peersOf(client: TestClient, need: number[] = []) {
  client.send({ type: 'get-peers', swarmId, need, max: 20 });
  const answer = await client.upcoming('peers');
  return answer.peers;
}

beforeAll(async () => {
  keys = await makeKeys();
  token = await signToken(keys, { stream: 'cluster' });
  redis = await startRedis();
  nodes = await startTwoNodes({
    storeEnv: { REDIS_URL: redis.url },
    tokenPublicKey: keys.publicKey,
    storeLabel: 'redis',
    env: { LIVE_FETCHER_MIN_AGE_MS: '0', LIVE_FETCHER_CANDIDATES: '4' },
  });
  ({ a: nodeA, b: nodeB, clients } = nodes);
});

afterAll(async () => {
  await nodes?.stop();
  await redis?.stop();
});

describe('two tracker nodes on one Redis', () => {
  let a: TestClient;
  let b: TestClient;

  it('matches a peer on node A with a peer on node B, with its holdings', async () => {
    a = await join(nodeA, 1000, [1, 2]);
    b = await join(nodeB, 5000, [2, 3]);
    const fromA = await peersOf(a, [3]);
    expect(fromA).toEqual([
      {
        peerId: b.peerId,
        region: 'eu-west',
        uploadKbps: 5000,
        connectionType: 'wifi',
        have: [2, 3],
      },
    ]);
    b.send({ type: 'have', swarmId, added: [4], lost: [2] });
    await b.settle();
    expect((await peersOf(a, [4]))[0]!.have).toEqual([3, 4]);
    expect(await stats(nodeA)).toMatchObject({ peers: 2, swarms: 1 });
  });

  it('relays offer, answer and candidates across nodes, and only for a pending offer', async () => {
    a.send({
      type: 'signal',
      swarmId,
      to: b.peerId,
      signal: { kind: 'offer', connectionId: 'k1', sdp: 'offer-sdp' },
    });
    expect(await b.next('signal')).toMatchObject({
      from: a.peerId,
      signal: { kind: 'offer', sdp: 'offer-sdp' },
    });
    b.send({
      type: 'signal',
      swarmId,
      to: a.peerId,
      signal: { kind: 'answer', connectionId: 'k1', sdp: 'answer-sdp' },
    });
    expect(await a.next('signal')).toMatchObject({ from: b.peerId, signal: { kind: 'answer' } });
    b.send({
      type: 'signal',
      swarmId,
      to: a.peerId,
      signal: {
        kind: 'candidate',
        connectionId: 'k1',
        candidate: 'c',
        sdpMid: '0',
        sdpMLineIndex: 0,
      },
    });
    await a.nextOf('signal', (m) => m.signal.kind === 'candidate');
    b.send({
      type: 'signal',
      swarmId,
      to: a.peerId,
      signal: { kind: 'answer', connectionId: 'zz', sdp: 'x' },
    });
    expect(await b.upcoming('error')).toMatchObject({ code: 'no_pending_offer' });
  });

  it('gives members on both nodes the same election, upload verified across nodes', async () => {
    // B answered A's offer (another address block, on another node): B's upload is verified
    // and B takes the seat; A, verified by nobody, was only the lone fill-in.
    const onA = await a.nextOf('election', (m) => m.fetchers.join() === b.peerId);
    const onB = await b.nextOf('election', (m) => m.epoch === onA.epoch);
    expect(onB).toEqual(onA);
    // Now A answers B's offer: both verified, both seated.
    await connectThroughTracker(swarmId, b, a);
    const both = await a.nextOf('election', (m) => m.fetchers.length === 2);
    expect([...both.fetchers].sort()).toEqual([a.peerId, b.peerId].sort());
    expect(await b.nextOf('election', (m) => m.epoch === both.epoch)).toEqual(both);
  });

  it('tells a peer on node A when its match on node B leaves', async () => {
    const c = await join(nodeB, 100);
    expect((await peersOf(a)).map((p) => p.peerId)).toContain(c.peerId);
    c.send({ type: 'leave', swarmId });
    expect(await a.nextOf('peer-gone', (m) => m.peerId === c.peerId)).toMatchObject({
      reason: 'left',
    });
  });

  it('keeps peer protocol versions apart across nodes: matching and signals', async () => {
    const peersBefore = (await stats(nodeA)).peers;
    const other = 'cluster/480p';
    const joinOther = async (node: RunningService, peerProtocol: number | undefined) => {
      const client = await joinedClient(wsUrl(node), { swarmId: other, token, peerProtocol });
      clients.push(client);
      return client;
    };
    const oldOnA = await joinOther(nodeA, undefined);
    const newOnA = await joinOther(nodeA, 2);
    const newOnB = await joinOther(nodeB, 2);
    newOnB.send({ type: 'get-peers', swarmId: other, need: [], max: 20 });
    expect((await newOnB.upcoming('peers')).peers.map((p) => p.peerId)).toEqual([newOnA.peerId]);
    const offer = { kind: 'offer', connectionId: 'v1', sdp: 'x' } as const;
    oldOnA.send({ type: 'signal', swarmId: other, to: newOnB.peerId, signal: offer });
    expect(await oldOnA.upcoming('error')).toMatchObject({ code: 'unknown_peer' });
    newOnA.send({ type: 'signal', swarmId: other, to: newOnB.peerId, signal: offer });
    expect(await newOnB.next('signal')).toMatchObject({ swarmId: other, from: newOnA.peerId });
    expect(newOnB.all('signal')).toHaveLength(1);
    for (const client of [oldOnA, newOnA, newOnB]) client.close();
    await waitFor('the three left', async () => (await stats(nodeA)).peers === peersBefore);
  });

  it('bans across nodes: reports from two nodes reach the threshold; the other node refuses', async () => {
    const peersBefore = (await stats(nodeA)).peers;
    const banned = 'cluster/1080p';
    const joinAs = async (node: RunningService, sub: string, address: string) => {
      const viewerToken = await signToken(keys, { stream: 'cluster', sub });
      const client = await joinedClient(wsUrl(node), {
        swarmId: banned,
        token: viewerToken,
        address,
      });
      clients.push(client);
      return { client, viewerToken };
    };
    const { client: liar, viewerToken: liarToken } = await joinAs(nodeA, 'viewer-liar', '10.0.1.1');
    const reporters = [
      (await joinAs(nodeA, 'viewer-r1', '10.0.2.1')).client,
      (await joinAs(nodeB, 'viewer-r2', '10.0.3.1')).client,
    ];
    // Each reporter exchanged an offer and answer with the liar through the trackers.
    for (const reporter of reporters) await connectThroughTracker(banned, reporter, liar);
    reporters[0]!.send({
      type: 'report',
      swarmId: banned,
      peerId: liar.peerId,
      reason: 'integrity',
    });
    await reporters[0]!.settle();
    expect(liar.all('error')).toHaveLength(0);
    // The second report arrives on node B: only Redis knows of the first.
    reporters[1]!.send({
      type: 'report',
      swarmId: banned,
      peerId: liar.peerId,
      reason: 'integrity',
    });
    expect(await liar.next('error')).toMatchObject({ code: 'banned' });
    // Node B made the ban; node A, where the liar comes back, refuses it.
    const again = await TestClient.connect(wsUrl(nodeA));
    clients.push(again);
    again.send(joinMessage({ swarmId: banned, token: liarToken }));
    expect(await again.next('error')).toMatchObject({ code: 'banned', ref: 'join' });
    for (const client of [liar, again, ...reporters]) client.close();
    await waitFor(
      'the banned swarm emptied',
      async () => (await stats(nodeA)).peers === peersBefore,
    );
  });

  it('does not let free tokens from one address ban an audience across both nodes', async () => {
    const peersBefore = [(await stats(nodeA)).peers, (await stats(nodeB)).peers];
    const audience = 'cluster/sybil';
    const nodesInTurn = [nodeA, nodeB];
    const joinAs = async (node: RunningService, sub: string, address: string) => {
      const viewerToken = await signToken(keys, { stream: 'cluster', sub });
      const client = await joinedClient(wsUrl(node), {
        swarmId: audience,
        token: viewerToken,
        address,
      });
      clients.push(client);
      return { client, viewerToken };
    };
    // Four viewers, two on each node, each on an address block of its own.
    const victims: Array<{ client: TestClient; viewerToken: string }> = [];
    for (let i = 0; i < 4; i++) {
      victims.push(await joinAs(nodesInTurn[i % 2]!, `audience-${i}`, `10.0.${40 + i}.1`));
    }
    // Four free tokens (four viewers) from one address, two on each node; each exchanges an
    // offer and answer with every victim, then they all report every victim.
    const sybils: TestClient[] = [];
    for (let i = 0; i < 4; i++) {
      sybils.push((await joinAs(nodesInTurn[i % 2]!, `sybil-${i}`, '10.0.99.1')).client);
    }
    try {
      for (const sybil of sybils) {
        for (const { client: victim } of victims) {
          await connectThroughTracker(audience, sybil, victim);
        }
      }
      for (const sybil of sybils) {
        for (const { client: victim } of victims) {
          sybil.send({
            type: 'report',
            swarmId: audience,
            peerId: victim.peerId,
            reason: 'integrity',
          });
        }
        await sybil.settle();
      }
      // Every report was handled, and a ban is in Redis before its node answers the next
      // message: each victim joins again, on the other node, and is let in.
      for (const [i, { viewerToken }] of victims.entries()) {
        const again = await TestClient.connect(wsUrl(nodesInTurn[(i + 1) % 2]!));
        clients.push(again);
        again.send(joinMessage({ swarmId: audience, token: viewerToken }));
        const answer = await again.next((m) => m.type === 'joined' || m.type === 'error');
        expect(answer).toMatchObject({ type: 'joined', swarmId: audience });
        again.close();
      }
      for (const { client: victim } of victims) {
        await victim.sync();
        expect(victim.all('error')).toHaveLength(0);
      }
    } finally {
      for (const client of [...sybils, ...victims.map((v) => v.client)]) client.close();
      await waitFor('the audience left both nodes', async () => {
        const now = [(await stats(nodeA)).peers, (await stats(nodeB)).peers];
        return now[0] === peersBefore[0] && now[1] === peersBefore[1];
      });
    }
  });

  it('degrades to node-local matching when Redis dies, and recovers when it returns', async () => {
    const epochBefore = a.all('election').at(-1)!.epoch;
    await redis.kill();
    await waitFor(
      'both nodes degraded',
      async () => !(await stats(nodeA)).store.healthy && !(await stats(nodeB)).store.healthy,
    );
    expect(nodeA.output()).toMatch(/redis unreachable/);
    // Node A still serves: a new peer joins and is matched with A's own peers only.
    const localPeer = await join(nodeA, 700);
    const remotePeer = await join(nodeB, 700);
    const during = (await peersOf(localPeer)).map((p) => p.peerId);
    expect(during).toContain(a.peerId);
    expect(during).not.toContain(b.peerId);
    expect(during).not.toContain(remotePeer.peerId);
    const metrics = await (await fetch(`${nodeA.url}/metrics`)).text();
    expect(metrics).toMatch(/coral_tracker_store_healthy\{[^}]*\} 0/);

    await redis.restart();
    await waitFor(
      'both nodes recovered',
      async () => (await stats(nodeA)).store.healthy && (await stats(nodeB)).store.healthy,
      {
        timeoutMs: 15_000,
      },
    );
    // Redis restarted empty: the nodes re-registered their peers.
    const after = (await peersOf(localPeer)).map((p) => p.peerId);
    expect(after).toEqual(expect.arrayContaining([a.peerId, b.peerId, remotePeer.peerId]));
    expect((await stats(nodeB)).peers).toBe(4);
    localPeer.send({
      type: 'signal',
      swarmId,
      to: remotePeer.peerId,
      signal: { kind: 'offer', connectionId: 'k9', sdp: 'again' },
    });
    expect(await remotePeer.next('signal')).toMatchObject({ from: localPeer.peerId });
    // Elections resume with a fresh epoch, the same on both nodes.
    const latest = (client: TestClient) => client.all('election').at(-1);
    await waitFor('one fresh election on both nodes', () => {
      const here = latest(localPeer);
      const there = latest(remotePeer);
      return (
        here !== undefined &&
        here.epoch > epochBefore &&
        JSON.stringify(here) === JSON.stringify(there)
      );
    });
    expect(latest(localPeer)!.fetchers.length).toBeGreaterThan(0);
  });

  it('sweeps the peers of a node that crashed (no goodbye) within two heartbeats', async () => {
    const onA = clients.filter((c) => c.socket.url.includes(`:${nodeA.port}/`));
    await nodeA.kill();
    // b (on node B) was introduced to a (on node A) at the start.
    const gone = await b.nextOf('peer-gone', (m) => m.peerId === a.peerId, 15_000);
    expect(gone.reason).toBe('timeout');
    const left = (await peersOf(b)).map((p) => p.peerId);
    for (const client of onA) expect(left).not.toContain(client.peerId);
    expect((await stats(nodeB)).peers).toBe(2);
  });

  it('stops on SIGTERM: sockets closed with 1001, exit code 0', async () => {
    const onB = clients.filter(
      (c) => c.socket.url.includes(`:${nodeB.port}/`) && c.socket.readyState === 1,
    );
    expect(onB.length).toBeGreaterThanOrEqual(2);
    expect(await nodeB.stop()).toBe(0);
    for (const client of onB) expect((await client.closed).code).toBe(1001);
  });
});
