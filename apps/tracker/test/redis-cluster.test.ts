import {
  startRedisCluster,
  waitFor,
  type RedisCluster,
  type RunningService,
} from '@coral-cdn/test-support';
import { roomId } from '@coral-cdn/tracker-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectThroughTracker,
  getJson,
  joinedClient,
  joinMessage,
  makeKeys,
  signToken,
  TestClient,
  type TokenKeys,
} from './support.js';
import { startTwoNodes, type TwoNodes } from './two-nodes.js';

/**
 * Two built tracker processes on a real three-master Redis Cluster (REDIS_CLUSTER_NODES):
 * rooms whose keys live on different masters are matched, counted and swept across nodes,
 * signals cross nodes through cluster pub/sub, and a ban made on one node is refused on the
 * other. A script or batch that touched two hash slots would fail here (CROSSSLOT).
 */

const PREFIX = 'coral:tracker:';
let cluster: RedisCluster;
let keys: TokenKeys;
let nodes: TwoNodes;
let nodeA: RunningService;
let nodeB: RunningService;
let clients: TestClient[];

const wsUrl = (node: RunningService) => nodes.wsUrl(node);
const stats = (node: RunningService) => nodes.stats(node);
const roomMaster = (swarmId: string) => cluster.portOfKey(`${PREFIX}{${roomId(swarmId, 1)}}:m`);

/** One swarm per master: `spread/<n>` names, the first found on each. */
function swarmsOnEveryMaster(): string[] {
  const byMaster = new Map<number, string>();
  for (let n = 0; byMaster.size < cluster.masters.length; n++) {
    const swarmId = `spread/${n}`;
    if (!byMaster.has(roomMaster(swarmId))) byMaster.set(roomMaster(swarmId), swarmId);
  }
  return [...byMaster.values()];
}

let joins = 0;
async function join(node: RunningService, swarmId: string, sub?: string) {
  const n = ++joins;
  const token = await signToken(keys, { stream: 'spread', sub: sub ?? `viewer-${n}` });
  const client = await joinedClient(wsUrl(node), {
    swarmId,
    token,
    live: true,
    uploadKbps: 1000,
    have: [n],
    address: `10.7.${n}.1`,
  });
  clients.push(client);
  return Object.assign(client, { token });
}

async function peersOf(client: TestClient, swarmId: string) {
  client.send({ type: 'get-peers', swarmId, need: [], max: 20 });
  return (await client.upcoming('peers')).peers.map((peer) => peer.peerId);
}

beforeAll(async () => {
  keys = await makeKeys();
  cluster = await startRedisCluster();
  nodes = await startTwoNodes({
    storeEnv: { REDIS_CLUSTER_NODES: cluster.nodes },
    tokenPublicKey: keys.publicKey,
    storeLabel: 'the redis cluster',
  });
  ({ a: nodeA, b: nodeB, clients } = nodes);
});

afterAll(async () => {
  await nodes?.stop();
  await cluster?.stop();
});

describe('two tracker nodes on a Redis Cluster', () => {
  const swarms: string[] = [];
  const onA: TestClient[] = [];
  const onB: TestClient[] = [];

  it('matches, counts and forgets rooms whose keys live on different masters', async () => {
    swarms.push(...swarmsOnEveryMaster());
    expect(new Set(swarms.map(roomMaster)).size).toBe(3);
    for (const swarmId of swarms) {
      onA.push(await join(nodeA, swarmId));
      onB.push(await join(nodeB, swarmId));
    }
    for (const [i, swarmId] of swarms.entries()) {
      expect(await peersOf(onA[i]!, swarmId)).toEqual([onB[i]!.peerId]);
      expect(await peersOf(onB[i]!, swarmId)).toEqual([onA[i]!.peerId]);
    }
    // The room index (one key, on one master) lists rooms of every master.
    for (const node of [nodeA, nodeB]) {
      expect(await stats(node)).toMatchObject({ store: { kind: 'redis', healthy: true } });
    }
    const extra = await join(nodeB, swarms[0]!);
    const admin = await getJson<{ swarms: number; peers: number }>(`${nodeA.url}/stats`);
    expect(admin).toMatchObject({ swarms: 3, peers: 7 });
    // A room emptied by its last leave leaves the index.
    const lone = 'spread/lone';
    const single = await join(nodeB, lone);
    await waitFor('four rooms', async () => (await stats(nodeA)).swarms === 4);
    single.send({ type: 'leave', swarmId: lone });
    await waitFor('the lone room forgotten', async () => (await stats(nodeA)).swarms === 3);
    extra.send({ type: 'leave', swarmId: swarms[0]! });
    await waitFor('six peers', async () => (await stats(nodeA)).peers === 6);
  });

  it('relays offer and answer between viewers on different nodes', async () => {
    const swarmId = swarms[2]!;
    const [a, b] = [onA[2]!, onB[2]!];
    a.send({
      type: 'signal',
      swarmId,
      to: b.peerId,
      signal: { kind: 'offer', connectionId: 'x1', sdp: 'offer-sdp' },
    });
    expect(await b.next('signal')).toMatchObject({
      from: a.peerId,
      signal: { kind: 'offer', sdp: 'offer-sdp' },
    });
    b.send({
      type: 'signal',
      swarmId,
      to: a.peerId,
      signal: { kind: 'answer', connectionId: 'x1', sdp: 'answer-sdp' },
    });
    expect(await a.next('signal')).toMatchObject({ from: b.peerId, signal: { kind: 'answer' } });
  });

  it('refuses on node A a viewer banned by reports that reached node B', async () => {
    const swarmId = 'spread/banned';
    const liar = await join(nodeA, swarmId, 'viewer-liar');
    const reporters = [await join(nodeA, swarmId), await join(nodeB, swarmId)];
    for (const reporter of reporters) await connectThroughTracker(swarmId, reporter, liar);
    for (const reporter of reporters) {
      reporter.send({ type: 'report', swarmId, peerId: liar.peerId, reason: 'integrity' });
      await reporter.settle();
    }
    expect(await liar.next('error')).toMatchObject({ code: 'banned' });
    const again = await TestClient.connect(wsUrl(nodeA));
    clients.push(again);
    again.send(joinMessage({ swarmId, token: liar.token }));
    expect(await again.next('error')).toMatchObject({ code: 'banned', ref: 'join' });
    for (const client of [liar, again, ...reporters]) client.close();
    await waitFor('the banned swarm emptied', async () => (await stats(nodeA)).peers === 6);
  });

  it('sweeps, on every master, the peers of a node that crashed', async () => {
    await nodeA.kill();
    for (const [i, swarmId] of swarms.entries()) {
      const gone = await onB[i]!.nextOf('peer-gone', (m) => m.peerId === onA[i]!.peerId, 15_000);
      expect(gone).toMatchObject({ swarmId, reason: 'timeout' });
    }
    expect(await stats(nodeB)).toMatchObject({ peers: 3, swarms: 3 });
  });
});
