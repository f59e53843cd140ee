import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  joinedClient,
  joinMessage,
  makeKeys,
  signToken,
  startTracker,
  type RunningTracker,
  type TestClient,
  type TokenKeys,
} from './support.js';

describe('reports and bans', () => {
  let keys: TokenKeys;
  let tracker: RunningTracker;
  const clients: TestClient[] = [];
  const swarmId = 'reported/720p';
  const join = async (sub: string, swarm = swarmId, live = false) => {
    const token = await signToken(keys, { stream: 'reported', sub });
    const client = await joinedClient(tracker.wsUrl, { swarmId: swarm, token, live });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    keys = await makeKeys();
    tracker = await startTracker(keys, { REPORT_BAN_THRESHOLD: '2' });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await tracker.close();
  });

  it('never offers a reported peer to its reporter again, whatever the reason', async () => {
    const reporter = await join('viewer-r');
    const slow = await join('viewer-slow');
    reporter.send({ type: 'report', swarmId, peerId: slow.peerId, reason: 'timeout' });
    reporter.send({ type: 'get-peers', swarmId, need: [], max: 50 });
    expect((await reporter.next('peers')).peers.map((p) => p.peerId)).not.toContain(slow.peerId);
    const other = await join('viewer-o');
    other.send({ type: 'get-peers', swarmId, need: [], max: 50 });
    expect((await other.next('peers')).peers.map((p) => p.peerId)).toContain(slow.peerId);
  });

  it('bans a viewer from the stream after integrity reports from two distinct viewers', async () => {
    const liar = await join('viewer-liar', swarmId, true);
    const liarOtherRendition = await join('viewer-liar', 'reported/480p');
    const first = await join('viewer-1');
    const second = await join('viewer-2');
    const bystander = await join('viewer-3');
    const stranger = await join('viewer-4');
    bystander.send({ type: 'get-peers', swarmId, need: [], max: 50 });
    expect((await bystander.next('peers')).peers.map((p) => p.peerId)).toContain(liar.peerId);

    first.send({ type: 'report', swarmId, peerId: liar.peerId, reason: 'integrity', sequence: 7 });
    // The same viewer reporting twice (or from another connection) still counts once.
    first.send({ type: 'report', swarmId, peerId: liar.peerId, reason: 'integrity', sequence: 8 });
    await first.settle();
    await liar.sync();
    expect(liar.all('error')).toHaveLength(0);

    second.send({ type: 'report', swarmId, peerId: liar.peerId, reason: 'integrity', sequence: 7 });
    expect(await liar.next('error')).toMatchObject({ code: 'banned' });
    expect(await liarOtherRendition.next('error')).toMatchObject({ code: 'banned' });
    expect(await bystander.next('peer-gone')).toMatchObject({
      peerId: liar.peerId,
      reason: 'banned',
    });
    // A ban reaches every member of the swarm, also those never introduced to the peer.
    expect(await stranger.next('peer-gone')).toMatchObject({
      peerId: liar.peerId,
      reason: 'banned',
    });
    bystander.send({ type: 'get-peers', swarmId, need: [], max: 50 });
    expect((await bystander.upcoming('peers')).peers.map((p) => p.peerId)).not.toContain(
      liar.peerId,
    );

    // A re-join with the same viewer's token is refused while the ban lasts.
    const token = await signToken(keys, { stream: 'reported', sub: 'viewer-liar' });
    liar.send(joinMessage({ swarmId, token }));
    expect(await liar.upcoming('error')).toMatchObject({ code: 'banned', ref: 'join' });
    const metrics = await (await fetch(`${tracker.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/coral_tracker_bans_total\{[^}]*\} 1/);
  });

  it('ignores self-reports and reports about unknown peers', async () => {
    const reporter = await join('viewer-self');
    reporter.send({ type: 'report', swarmId, peerId: reporter.peerId, reason: 'integrity' });
    reporter.send({ type: 'report', swarmId, peerId: 'NobodyAtAll1', reason: 'integrity' });
    await reporter.settle();
    expect(reporter.all('error').filter((e) => e.code !== 'not_joined')).toHaveLength(0);
  });
});
