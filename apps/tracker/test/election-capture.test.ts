import type { ElectionMessage } from '@coral-cdn/protocol';
import { waitFor } from '@coral-cdn/test-support';
import { describe, expect, it } from 'vitest';
import {
  connectThroughTracker,
  getJson,
  joinedClient,
  signToken,
  type TestClient,
  trackerFixture,
} from './support.js';

/**
 * One client tries to take every fetcher seat of a live election (and with them the first
 * fetch of every segment): many tokens, many connections, a huge claimed uplink, all from
 * one address block. Clients get addresses of their own through the proxy header.
 */

const swarmId = 'capture/720p';
const fx = trackerFixture();

/** Whether the tracker has an election for the swarm scheduled or running (its /stats). */
async function electionPending(): Promise<boolean> {
  const stats = await getJson<{
    perSwarm: Array<{ swarmId: string; election?: { pending: boolean } }>;
  }>(`${fx.tracker().httpUrl}/stats`);
  return stats.perSwarm.find((s) => s.swarmId === swarmId)?.election?.pending ?? true;
}

async function join(sub: string, address: string, uploadKbps: number): Promise<TestClient> {
  const token = await signToken(fx.keys(), { stream: 'capture', sub });
  const client = await joinedClient(fx.tracker().wsUrl, {
    swarmId,
    token,
    live: true,
    uploadKbps,
    address,
  });
  fx.clients.push(client);
  return client;
}

/** The election `client` holds once one names every peer in `required`. */
async function electionWith(client: TestClient, required: TestClient[]): Promise<ElectionMessage> {
  await client.nextOf('election', (m) => required.every((c) => m.fetchers.includes(c.peerId)));
  // Later elections (debounced) may still follow: take the newest once none is pending.
  await waitFor('no election pending', async () => !(await electionPending()), {
    timeoutMs: 5_000,
  });
  await client.sync();
  return client.all('election').at(-1)!;
}

describe('live election capture', () => {
  it('many tokens and connections from one block get the block share of the seats', async () => {
    await fx.start({
      TRUST_PROXY: 'true',
      LIVE_FETCHER_CANDIDATES: '8',
      LIVE_FETCHERS_PER_SEGMENT: '1',
    });
    // 8 tokens from one /24, and one token on 4 connections from another /24: all claim
    // far more upload than any honest viewer.
    const attackers: TestClient[] = [];
    for (let i = 0; i < 8; i++)
      attackers.push(await join(`mallory-${i}`, `198.51.100.${i + 1}`, 90_000));
    for (let i = 0; i < 4; i++)
      attackers.push(await join('mallory-shared', `203.0.113.${i + 1}`, 95_000));
    const honest = [
      await join('alice', '10.0.1.5', 2000),
      await join('bob', '10.0.2.5', 1500),
      await join('carol', '10.0.3.5', 1000),
    ];
    const election = await electionWith(honest[0]!, honest);
    const attackerSeats = election.fetchers.filter((peerId) =>
      attackers.some((client) => client.peerId === peerId),
    );
    // Five groups share 8 seats: at most 2 each; the shared token holds one.
    expect(attackerSeats.length).toBe(3);
    expect(election.fetchers).toHaveLength(6);
    const sharedSeats = attackers.slice(8).filter((c) => election.fetchers.includes(c.peerId));
    expect(sharedSeats).toHaveLength(1);
  });

  it('claimed upload takes only the lone perSegment seat; verified upload takes the others', async () => {
    await fx.start({
      TRUST_PROXY: 'true',
      LIVE_FETCHER_CANDIDATES: '8',
      LIVE_FETCHERS_PER_SEGMENT: '1',
      LIVE_FETCHER_MIN_SERVED_GROUPS: '1',
    });
    const attackers: TestClient[] = [];
    for (let i = 0; i < 4; i++)
      attackers.push(await join(`mallory-${i}`, `198.51.100.${i + 1}`, 90_000));
    // Answering each other's offers from one block verifies nothing.
    await connectThroughTracker(swarmId, attackers[0]!, attackers[1]!);
    await connectThroughTracker(swarmId, attackers[2]!, attackers[3]!);
    const alice = await join('alice', '10.0.1.5', 2000);
    const bob = await join('bob', '10.0.2.5', 1500);
    // Each answers an offer from the other's network: both verified.
    await connectThroughTracker(swarmId, alice, bob);
    await connectThroughTracker(swarmId, bob, alice);
    const election = await electionWith(alice, [alice, bob]);
    expect([...election.fetchers].sort()).toEqual([alice.peerId, bob.peerId].sort());
  });
});
