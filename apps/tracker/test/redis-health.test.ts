import { createLogger } from '@coral-cdn/server-kit';
import { sleep, startRedis, waitFor, type RedisServer } from '@coral-cdn/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roomId } from '@coral-cdn/tracker-core';
import { RedisStore } from '../src/store/redis-store.js';
import type { ClusterEvent, MemberRecord } from '../src/store/types.js';

/**
 * The Redis store is healthy only when both of its connections are back and Redis confirmed
 * its subscriptions: otherwise a signal another node sends it right after "recovery" is lost.
 * A real redis-server; an ACL that refuses channels holds the subscriber back while the
 * command connection is up, and kills/restarts make Redis flap.
 */

const nodeId = 'node-h';
const keyPrefix = 'health:';
const nodeChannel = `${keyPrefix}node:${nodeId}`;
const member: MemberRecord = {
  peerId: 'peer-aaaa',
  swarmId: roomId('stream/720p', 1),
  nodeId,
  viewerId: 'viewer-a',
  region: 'eu-west',
  uploadKbps: 1000,
  connectionType: 'wifi',
  live: true,
  joinedAtMs: 1000,
};

let redis: RedisServer;
let admin: Redis;
/** Publishes the recovery probes: never queued or resent, so never to a later Redis. */
let prober: Redis;
let store: RedisStore;
const healthChanges: boolean[] = [];
let recoveries = 0;
const received: ClusterEvent[] = [];
/**
 * Receivers of a message published to this node the moment it announced each recovery, or
 * null when the prober was not connected then (Redis killed again since: proves nothing).
 */
const probes: Array<Promise<number | null>> = [];

const ban = (n: number): ClusterEvent => ({ kind: 'ban', swarmId: 'probe', viewerId: `v${n}` });
const isBan = (event: ClusterEvent, n: number) => JSON.stringify(event) === JSON.stringify(ban(n));
const healthy = () => store.status().healthy;
/** Healthy and announced (the announcement follows the re-registration of members). */
const recovered = () => healthy() && healthChanges.at(-1) === true;
const clientNames = async () => {
  const list = String(await admin.call('CLIENT', 'LIST'));
  return [...list.matchAll(/ name=(\S*)/g)].map((match) => match[1]);
};
/** Subscriptions Redis refused since the ACL log was last reset. */
const refusedSubscriptions = async () => {
  const entries = (await admin.call('ACL', 'LOG')) as unknown[][];
  let count = 0;
  for (const entry of entries) {
    const fields = new Map<unknown, unknown>();
    for (let i = 0; i + 1 < entry.length; i += 2) fields.set(entry[i], entry[i + 1]);
    if (fields.get('reason') === 'channel') count += Number(fields.get('count'));
  }
  return count;
};
const memberInRedis = () => admin.hget(`${keyPrefix}{${member.swarmId}}:m`, member.peerId);

beforeAll(async () => {
  redis = await startRedis();
  // Retries until the test's restarts are over; never gives up (it is the test's probe).
  admin = new Redis(redis.url, { retryStrategy: () => 50, maxRetriesPerRequest: null });
  admin.on('error', () => undefined);
  prober = new Redis(redis.url, {
    retryStrategy: () => 50,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
  });
  prober.on('error', () => undefined);
  store = new RedisStore({
    target: { kind: 'single', url: redis.url },
    nodeId,
    keyPrefix,
    maxHavePerPeer: 8,
    keepMs: 60_000,
    logger: createLogger({ service: 'test', level: 'silent' }),
    onHealthChange: (value) => healthChanges.push(value),
  });
  store.onRecovered(() => {
    recoveries++;
    const envelope = JSON.stringify({ from: 'other-node', event: ban(recoveries) });
    probes.push(
      prober.status === 'ready'
        ? prober.publish(nodeChannel, envelope).catch(() => null)
        : Promise.resolve(null),
    );
  });
  store.onEvent((event) => received.push(event));
  await store.start();
  await waitFor('store healthy', recovered);
  await store.join(member, [1, 2]);
});

afterAll(async () => {
  await store?.destroy();
  await store?.destroy();
  admin?.disconnect();
  prober?.disconnect();
  await redis?.stop();
});

/** Every probe that reached Redis found this node subscribed, and was delivered. */
async function expectRecoveriesHeard(mustBeConclusive: number): Promise<void> {
  expect(probes).toHaveLength(recoveries);
  const receivers = await Promise.all(probes);
  expect(receivers.slice(0, mustBeConclusive)).not.toContain(null);
  const heard = receivers.flatMap((count, i) => (count === null ? [] : [{ count, i }]));
  expect(heard.map(({ count }) => count)).toEqual(heard.map(() => 1));
  const delivered = (n: number) => received.some((event) => isBan(event, n));
  await waitFor('recovery probes delivered', () => heard.every(({ i }) => delivered(i + 1)));
}

describe('redis store health', () => {
  it('stays degraded while the subscriber cannot subscribe, though commands work again', async () => {
    expect(healthChanges).toEqual([true]);
    expect(recoveries).toBe(1);
    // Redis drops subscribers whose channels an ACL change revokes; re-subscribing is refused.
    await admin.call('ACL', 'SETUSER', 'default', 'resetchannels');
    await waitFor('degraded after losing the subscriber', () => !healthy());
    expect(healthChanges).toEqual([true, false]);
    // The command connection drops too, and comes back while the subscriber is still refused.
    await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    await admin.flushall();
    await waitFor('command connection back, subscription refused', async () => {
      const names = await clientNames();
      return (
        names.includes(`tracker-${nodeId}`) &&
        names.includes(`tracker-${nodeId}-sub`) &&
        store.status().lastError?.startsWith('NOPERM')
      );
    });
    // Several refused attempts later (Redis logs each refusal), still degraded: nothing was
    // reported and nothing re-registered.
    await admin.call('ACL', 'LOG', 'RESET');
    await waitFor(
      'three more refused subscriptions',
      async () => (await refusedSubscriptions()) >= 3,
    );
    expect(healthy()).toBe(false);
    expect(healthChanges).toEqual([true, false]);
    expect(recoveries).toBe(1);
    expect(await memberInRedis()).toBeNull();

    await admin.call('ACL', 'SETUSER', 'default', 'allchannels');
    await waitFor('recovered once the subscription is accepted', recovered);
    expect(healthChanges).toEqual([true, false, true]);
    expect(recoveries).toBe(2);
    expect(store.status().degradedSinceMs).toBeNull();
    expect(JSON.parse((await memberInRedis())!)).toEqual(member);
    // Redis never restarted so far: both probes must have been sent, and heard.
    await expectRecoveriesHeard(2);
  });

  it('reports each outage once and is subscribed whenever it reports recovery, though Redis flaps', async () => {
    const before = healthChanges.length;
    await redis.kill();
    await waitFor('degraded', () => !healthy());
    for (const pauseMs of [0, 60, 150]) {
      await redis.restart();
      await sleep(pauseMs);
      await redis.kill();
    }
    await redis.restart();
    await waitFor('recovered', recovered, { timeoutMs: 15_000 });
    const changes = healthChanges.slice(before);
    // Alternating, starting with the outage and ending recovered: never the same news twice.
    expect(changes.length % 2).toBe(0);
    changes.forEach((value, i) => expect(value).toBe(i % 2 === 1));
    expect(recoveries).toBe(healthChanges.filter(Boolean).length);
    expect(JSON.parse((await memberInRedis())!)).toEqual(member);
    await expectRecoveriesHeard(2);
    // And once settled, a message to this node is heard.
    await waitFor('prober connected', () => prober.status === 'ready');
    const settled = JSON.stringify({ from: 'other-node', event: ban(0) });
    expect(await prober.publish(nodeChannel, settled)).toBe(1);
    await waitFor('settled message delivered', () => received.some((event) => isBan(event, 0)));
  });
});
