import { TRACKER_PROTOCOL_VERSION } from '@coral-cdn/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  joinedClient,
  joinMessage,
  makeKeys,
  signToken,
  startTracker,
  TestClient,
  type RunningTracker,
  type TokenKeys,
} from './support.js';

let keys: TokenKeys;
let tracker: RunningTracker;
const clients: TestClient[] = [];

async function client(options: Parameters<typeof joinedClient>[1]) {
  const c = await joinedClient(tracker.wsUrl, options);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  keys = await makeKeys();
  tracker = await startTracker(keys, { HEARTBEAT_MS: '60000' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await tracker.close();
});

describe('joining', () => {
  it('answers a valid join with one peer id per connection, the same in every swarm', async () => {
    const token = await signToken(keys, { stream: 'films' });
    const c = await client({ swarmId: 'films/720p', token });
    expect(c.peerId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    c.send(joinMessage({ swarmId: 'films/480p', token }));
    const second = await c.nextOf('joined', (m) => m.swarmId === 'films/480p');
    expect(second).toMatchObject({
      peerId: c.peerId,
      v: TRACKER_PROTOCOL_VERSION,
      heartbeatMs: 60000,
    });
  });

  it('refuses an expired token with token_expired and keeps the connection', async () => {
    const token = await signToken(keys, { stream: 'films', expiresInSec: -60 });
    const c = await TestClient.connect(tracker.wsUrl);
    clients.push(c);
    c.send(joinMessage({ swarmId: 'films/720p', token }));
    const error = await c.next('error');
    expect(error).toMatchObject({ code: 'token_expired', ref: 'join' });
    expect(error.fatal).toBeUndefined();
    await c.sync();
  });

  it('refuses forged and garbled tokens with unauthorized', async () => {
    const otherKeys = await makeKeys();
    const forged = await signToken(otherKeys, { stream: 'films' });
    const wrongAudience = await signToken(keys, { stream: 'films', aud: 'someone-else' });
    const c = await TestClient.connect(tracker.wsUrl);
    clients.push(c);
    for (const token of [forged, 'not.a.jwt', wrongAudience]) {
      c.send(joinMessage({ swarmId: 'films/720p', token }));
      const error = await c.upcoming('error');
      expect(error.code).toBe('unauthorized');
    }
    expect(c.all('joined')).toHaveLength(0);
  });

  it('refuses a swarm of another stream than the token admits (forbidden_swarm)', async () => {
    const token = await signToken(keys, { stream: 'films' });
    const c = await TestClient.connect(tracker.wsUrl);
    clients.push(c);
    c.send(joinMessage({ swarmId: 'news/720p', token }));
    expect(await c.next('error')).toMatchObject({ code: 'forbidden_swarm', ref: 'join' });
  });

  it('refuses an unsupported protocol version', async () => {
    const token = await signToken(keys, { stream: 'films' });
    const c = await TestClient.connect(tracker.wsUrl);
    clients.push(c);
    c.send({ ...joinMessage({ swarmId: 'films/720p', token }), v: 99 });
    expect(await c.next('error')).toMatchObject({ code: 'unsupported_version' });
  });

  it('answers messages for a swarm the peer has not joined with not_joined', async () => {
    const c = await TestClient.connect(tracker.wsUrl);
    clients.push(c);
    c.send({ type: 'get-peers', swarmId: 'films/720p', need: [], max: 5 });
    expect(await c.next('error')).toMatchObject({ code: 'not_joined', ref: 'get-peers' });
    c.send({ type: 'have', swarmId: 'films/720p', added: [1], lost: [] });
    expect(await c.upcoming('error')).toMatchObject({ code: 'not_joined', ref: 'have' });
  });

  it('keeps one viewer per connection', async () => {
    const c = await TestClient.connect(tracker.wsUrl);
    clients.push(c);
    c.send(
      joinMessage({
        swarmId: 'films/720p',
        token: await signToken(keys, { stream: 'films', sub: 'alice' }),
      }),
    );
    await c.next('joined');
    c.send(
      joinMessage({
        swarmId: 'films/480p',
        token: await signToken(keys, { stream: 'films', sub: 'bob' }),
      }),
    );
    expect(await c.next('error')).toMatchObject({ code: 'unauthorized', ref: 'join' });
  });

  it('limits swarms per connection', async () => {
    const token = await signToken(keys, { stream: 'many' });
    const c = await TestClient.connect(tracker.wsUrl);
    clients.push(c);
    for (const rendition of ['a', 'b', 'c', 'd']) {
      c.send(joinMessage({ swarmId: `many/${rendition}`, token }));
      await c.nextOf('joined', (m) => m.swarmId === `many/${rendition}`);
    }
    c.send(joinMessage({ swarmId: 'many/e', token }));
    expect(await c.next('error')).toMatchObject({ code: 'rate_limited', ref: 'join' });
  });
});

describe('matching', () => {
  it('ranks same region first, then overlap with need and spare capacity; excludes the asker', async () => {
    const token = await signToken(keys, { stream: 'rank' });
    const swarmId = 'rank/720p';
    const farWithAll = await client({
      swarmId,
      token,
      region: 'us-east',
      uploadKbps: 50_000,
      have: [1, 2, 3, 4],
    });
    const nearWithNeed = await client({
      swarmId,
      token,
      region: 'eu-west',
      uploadKbps: 2000,
      have: [3, 4],
    });
    const nearFastNoNeed = await client({
      swarmId,
      token,
      region: 'eu-west',
      uploadKbps: 3000,
      have: [10],
    });
    const nearSlowNoNeed = await client({
      swarmId,
      token,
      region: 'eu-west',
      uploadKbps: 100,
      have: [],
    });
    const asker = await client({ swarmId, token, region: 'eu-west', uploadKbps: 1000, have: [1] });
    asker.send({ type: 'get-peers', swarmId, need: [3, 4], max: 10 });
    const answer = await asker.next('peers');
    expect(answer.peers.map((p) => p.peerId)).toEqual([
      nearWithNeed.peerId,
      nearFastNoNeed.peerId,
      nearSlowNoNeed.peerId,
      farWithAll.peerId,
    ]);
    expect(answer.peers[0]).toMatchObject({
      region: 'eu-west',
      uploadKbps: 2000,
      connectionType: 'wifi',
      have: [3, 4],
    });
    expect(answer.peers[3]!.have).toEqual([1, 2, 3, 4]);
    asker.send({ type: 'get-peers', swarmId, need: [3, 4], max: 2 });
    const limited = await asker.upcoming('peers');
    expect(limited.peers).toHaveLength(2);
  });

  it('tracks have deltas: added and lost sequences change who is named as a holder', async () => {
    const token = await signToken(keys, { stream: 'deltas' });
    const swarmId = 'deltas/480p';
    const holder = await client({ swarmId, token, have: [5, 6] });
    const asker = await client({ swarmId, token });
    holder.send({ type: 'have', swarmId, added: [7, 8], lost: [5] });
    await holder.settle();
    asker.send({ type: 'get-peers', swarmId, need: [5, 7, 9], max: 5 });
    const answer = await asker.next('peers');
    const info = answer.peers.find((p) => p.peerId === holder.peerId)!;
    expect(info.have).toEqual([6, 7, 8]);
    expect(info.have).not.toContain(5);
  });

  it('sends peer-gone to those introduced to a peer when it leaves or disconnects', async () => {
    const token = await signToken(keys, { stream: 'gone' });
    const swarmId = 'gone/720p';
    const a = await client({ swarmId, token });
    const b = await client({ swarmId, token });
    const stranger = await client({ swarmId: 'gone/480p', token });
    b.send({ type: 'get-peers', swarmId, need: [], max: 5 });
    expect((await b.next('peers')).peers.map((p) => p.peerId)).toContain(a.peerId);
    a.send({ type: 'leave', swarmId });
    expect(await b.next('peer-gone')).toMatchObject({ swarmId, peerId: a.peerId, reason: 'left' });
    b.send({ type: 'get-peers', swarmId, need: [], max: 5 });
    expect((await b.upcoming('peers')).peers.map((p) => p.peerId)).not.toContain(a.peerId);

    const c = await client({ swarmId, token });
    b.send({ type: 'get-peers', swarmId, need: [], max: 5 });
    await b.upcoming('peers');
    c.close();
    expect(await b.nextOf('peer-gone', (m) => m.peerId === c.peerId)).toMatchObject({
      reason: 'left',
    });
    await stranger.sync();
    expect(stranger.all('peer-gone')).toHaveLength(0);
  });
});
