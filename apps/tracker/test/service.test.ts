import { waitFor } from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestClient } from './support.js';
import {
  beaconStats,
  getJson,
  joinedClient,
  makeKeys,
  signToken,
  startTracker,
  type RunningTracker,
  type TokenKeys,
} from './support.js';

const stats = beaconStats;

function metricValue(text: string, name: string): number {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

describe('HTTP endpoints and beacons', () => {
  let keys: TokenKeys;
  let tracker: RunningTracker;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    keys = await makeKeys();
    tracker = await startTracker(keys, { NODE_ID: 'node-test', HEARTBEAT_MS: '1500' });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await tracker.close();
  });

  it('GET /healthz answers 200 with the node and store', async () => {
    const body = await getJson(`${tracker.httpUrl}/healthz`);
    expect(body).toMatchObject({
      status: 'ok',
      nodeId: 'node-test',
      store: { kind: 'memory', healthy: true },
    });
    expect((await fetch(`${tracker.httpUrl}/nope`)).status).toBe(404);
    expect((await fetch(`${tracker.httpUrl}/ws`)).status).toBe(426);
  });

  it('GET /stats counts swarms, peers, connections and messages per second', async () => {
    const token = await signToken(keys, { stream: 'stats' });
    for (let i = 0; i < 3; i++) {
      clients.push(await joinedClient(tracker.wsUrl, { swarmId: 'stats/720p', token }));
    }
    clients.push(await joinedClient(tracker.wsUrl, { swarmId: 'stats/240p', token }));
    const body = await getJson<Record<string, unknown>>(`${tracker.httpUrl}/stats`);
    expect(body).toMatchObject({
      nodeId: 'node-test',
      store: { kind: 'memory', healthy: true },
      swarms: 2,
      peers: 4,
      connections: 4,
      localPeers: 4,
      perSwarm: [
        { swarmId: 'stats/720p', peers: 3, localPeers: 3 },
        { swarmId: 'stats/240p', peers: 1, localPeers: 1 },
      ],
    });
    expect(typeof body.messagesPerSec).toBe('number');
  });

  it('aggregates beacons into offload and QoE counters in /metrics', async () => {
    const [client] = clients;
    client!.send({ type: 'beacon', swarmId: 'stats/720p', stats: stats() });
    client!.send({
      type: 'beacon',
      swarmId: 'stats/720p',
      stats: stats({ p2pBytes: 5000, httpBytes: 1500, stalls: 1, startupMs: 900 }),
    });
    await client!.settle();
    const text = await (await fetch(`${tracker.httpUrl}/metrics`)).text();
    expect(metricValue(text, 'coral_tracker_beacon_p2p_bytes_total')).toBe(5000);
    expect(metricValue(text, 'coral_tracker_beacon_http_bytes_total')).toBe(1500);
    expect(metricValue(text, 'coral_tracker_beacon_stalls_total')).toBe(1);
    expect(metricValue(text, 'coral_tracker_beacon_stall_seconds_total')).toBe(0.25);
    expect(metricValue(text, 'coral_tracker_beacon_startup_seconds_count')).toBe(1);
    expect(metricValue(text, 'coral_tracker_connections')).toBe(4);
    expect(metricValue(text, 'coral_tracker_store_healthy')).toBe(1);
    expect(text).toMatch(/coral_tracker_messages_received_total\{[^}]*type="beacon"[^}]*\} 2/);
  });

  it('caps what a forged beacon adds to what one viewer can do in the time since its last', async () => {
    const forger = clients[1]!;
    const before = await (await fetch(`${tracker.httpUrl}/metrics`)).text();
    // Counters that go up and down again: each drop used to count as a new session in full.
    for (const p2pBytes of [1e18, 0, 1e18]) {
      forger.send({ type: 'beacon', swarmId: 'stats/720p', stats: stats({ p2pBytes }) });
    }
    await forger.settle();
    const after = await (await fetch(`${tracker.httpUrl}/metrics`)).text();
    const added =
      metricValue(after, 'coral_tracker_beacon_p2p_bytes_total') -
      metricValue(before, 'coral_tracker_beacon_p2p_bytes_total');
    // BEACON_MAX_MBPS (200 Mbit/s) over the seconds this test has run, not 2e18.
    expect(added).toBeGreaterThan(0);
    expect(added).toBeLessThan(1e10);
    expect(metricValue(after, 'coral_tracker_beacons_clamped_total')).toBeGreaterThanOrEqual(2);
  });

  it('sums connection outcomes by pair type and counts P2P-eligible viewers per swarm', async () => {
    const token = await signToken(keys, { stream: 'conn' });
    const swarmId = 'conn/720p';
    const direct = await joinedClient(tracker.wsUrl, { swarmId, token });
    const relayOnly = await joinedClient(tracker.wsUrl, { swarmId, token });
    const older = await joinedClient(tracker.wsUrl, { swarmId, token });
    const lone = await joinedClient(tracker.wsUrl, { swarmId, token });
    try {
      const before = await (await fetch(`${tracker.httpUrl}/metrics`)).text();
      direct.send({
        type: 'beacon',
        swarmId,
        stats: stats({
          peerAttempts: 3,
          peerFailures: 1,
          pairsSrflx: 1,
          pairsHost: 1,
          p2pEligible: true,
        }),
      });
      // Behind a symmetric NAT with relay not allowed: it tried, nothing opened.
      relayOnly.send({
        type: 'beacon',
        swarmId,
        stats: stats({ peerAttempts: 2, peerFailures: 1, relayRefused: 1, p2pEligible: false }),
      });
      // A player from before the connectivity fields: counted in neither.
      older.send({ type: 'beacon', swarmId, stats: stats() });
      // Nobody to try yet: not eligible, and not counted as tried either.
      lone.send({ type: 'beacon', swarmId, stats: stats({ peerAttempts: 0, p2pEligible: false }) });
      for (const client of [direct, relayOnly, older, lone]) await client.settle();
      const after = await (await fetch(`${tracker.httpUrl}/metrics`)).text();
      const added = (name: string) => metricValue(after, name) - (metricValue(before, name) || 0);
      expect(added('coral_tracker_beacon_peer_attempts_total')).toBe(5);
      expect(added('coral_tracker_beacon_peer_failures_total')).toBe(2);
      expect(added('coral_tracker_beacon_relay_refused_total')).toBe(1);
      expect(after).toMatch(
        /coral_tracker_beacon_peer_connections_total\{[^}]*pair="srflx"[^}]*\} 1$/m,
      );
      expect(after).toMatch(
        /coral_tracker_beacon_peer_connections_total\{[^}]*pair="host"[^}]*\} 1$/m,
      );
      expect(after).toMatch(
        /coral_tracker_beacon_peer_connections_total\{[^}]*pair="relay"[^}]*\} 0$/m,
      );
      expect(metricValue(after, 'coral_tracker_p2p_tried_viewers')).toBe(2);
      expect(metricValue(after, 'coral_tracker_p2p_eligible_viewers')).toBe(1);
      const body = await getJson<{ perSwarm: Array<{ swarmId: string; connectivity: unknown }> }>(
        `${tracker.httpUrl}/stats`,
      );
      expect(body.perSwarm.find((row) => row.swarmId === swarmId)?.connectivity).toEqual({
        viewers: 4,
        tried: 2,
        eligible: 1,
        opened: { host: 1, srflx: 1, prflx: 0, relay: 0, unknown: 0 },
      });
    } finally {
      for (const client of [direct, relayOnly, older, lone]) client.close();
    }
  });

  it('sums what the current members of each swarm took from the CDN and from peers', async () => {
    const token = await signToken(keys, { stream: 'bytes' });
    const swarmId = 'bytes/720p';
    const a = await joinedClient(tracker.wsUrl, { swarmId, token });
    const b = await joinedClient(tracker.wsUrl, { swarmId, token });
    const other = await joinedClient(tracker.wsUrl, { swarmId: 'bytes/360p', token });
    try {
      a.send({ type: 'beacon', swarmId, stats: stats({ httpBytes: 1000, p2pBytes: 3000 }) });
      // Cumulative counters: the second beacon adds only its increase.
      a.send({ type: 'beacon', swarmId, stats: stats({ httpBytes: 2000, p2pBytes: 6000 }) });
      b.send({ type: 'beacon', swarmId, stats: stats({ httpBytes: 4000, p2pBytes: 0 }) });
      other.send({
        type: 'beacon',
        swarmId: 'bytes/360p',
        stats: stats({ httpBytes: 500, p2pBytes: 0 }),
      });
      for (const client of [a, b, other]) await client.settle();
      const deliveryOf = async (id: string) =>
        (
          await getJson<{ perSwarm: Array<{ swarmId: string; delivery: unknown }> }>(
            `${tracker.httpUrl}/stats`,
          )
        ).perSwarm.find((row) => row.swarmId === id)?.delivery;
      expect(await deliveryOf(swarmId)).toEqual({
        httpBytes: 6000,
        p2pBytes: 6000,
        offloadRatio: 0.5,
      });
      expect(await deliveryOf('bytes/360p')).toEqual({
        httpBytes: 500,
        p2pBytes: 0,
        offloadRatio: 0,
      });
      // A member that leaves takes its bytes with it: the figures are of current viewers.
      b.close();
      await waitFor('the leaver gone from the swarm', async () => {
        const delivery = (await deliveryOf(swarmId)) as { httpBytes: number } | undefined;
        return delivery?.httpBytes === 2000;
      });
    } finally {
      for (const client of [a, b, other]) client.close();
    }
  });

  it('drops a connection that stays silent for the heartbeat, and tells its peers', async () => {
    const token = await signToken(keys, { stream: 'quiet' });
    const quiet = await joinedClient(tracker.wsUrl, { swarmId: 'quiet/720p', token });
    const chatty = await joinedClient(tracker.wsUrl, { swarmId: 'quiet/720p', token });
    chatty.send({ type: 'get-peers', swarmId: 'quiet/720p', need: [], max: 5 });
    await chatty.next('peers');
    const pinger = setInterval(() => chatty.send({ type: 'ping' }), 300);
    try {
      expect((await quiet.closed).code).toBe(4000);
      expect(await chatty.next('peer-gone', 5000)).toMatchObject({
        peerId: quiet.peerId,
        reason: 'timeout',
      });
    } finally {
      clearInterval(pinger);
      chatty.close();
    }
  });

  it('closes sockets with 1001 on shutdown and deregisters its peers', async () => {
    const other = await startTracker(keys);
    const token = await signToken(keys, { stream: 'bye' });
    const client = await joinedClient(other.wsUrl, { swarmId: 'bye/720p', token });
    await other.close();
    expect((await client.closed).code).toBe(1001);
    expect((await other.app.store.swarmSizes(10)).peers).toBe(0);
    await other.close();
  });
});
