import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  connectThroughTracker,
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
 * Reports and bans, with clients at addresses of their own (the tracker trusts the proxy
 * header here): a report counts only from a reporter in contact with the reported peer, in
 * the swarm long enough, within its limits, and counts once per address block.
 */

let keys: TokenKeys;
let addressCounter = 0;
/** A fresh /24 per call, unless an address is given. */
const nextAddress = () => `10.${Math.floor(++addressCounter / 250)}.${addressCounter % 250}.7`;

beforeAll(async () => {
  keys = await makeKeys();
});

function joiner(tracker: () => RunningTracker, clients: TestClient[]) {
  return async (
    sub: string,
    options: { swarm?: string; live?: boolean; address?: string } = {},
  ) => {
    const token = await signToken(keys, { stream: 'reported', sub });
    const client = await joinedClient(tracker().wsUrl, {
      swarmId: options.swarm ?? 'reported/720p',
      token,
      live: options.live ?? false,
      address: options.address ?? nextAddress(),
    });
    clients.push(client);
    return client;
  };
}

/** Everything sent so far handled, and nothing `banned` among what the client got. */
async function expectNotBanned(...clients: TestClient[]): Promise<void> {
  for (const client of clients) {
    await client.sync();
    expect(client.all('error').filter((e) => e.code === 'banned')).toEqual([]);
  }
}

describe('reports and bans', () => {
  let tracker: RunningTracker;
  const clients: TestClient[] = [];
  const swarmId = 'reported/720p';
  const join = joiner(() => tracker, clients);
  const report = (from: TestClient, peerId: string, sequence = 7) =>
    from.send({ type: 'report', swarmId, peerId, reason: 'integrity', sequence });

  beforeAll(async () => {
    tracker = await startTracker(keys, {
      TRUST_PROXY: 'true',
      REPORT_BAN_THRESHOLD: '2',
      REPORT_BAN_SHARE: '0',
      REPORT_MIN_TENURE_MS: '0',
    });
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

  it('bans a viewer from the swarm after integrity reports from two address blocks in contact with it', async () => {
    const liar = await join('viewer-liar', { live: true });
    const liarOtherRendition = await join('viewer-liar', { swarm: 'reported/480p' });
    const first = await join('viewer-1');
    const second = await join('viewer-2');
    const bystander = await join('viewer-3');
    const stranger = await join('viewer-4');
    await connectThroughTracker(swarmId, first, liar);
    await connectThroughTracker(swarmId, liar, second);
    bystander.send({ type: 'get-peers', swarmId, need: [], max: 50 });
    expect((await bystander.next('peers')).peers.map((p) => p.peerId)).toContain(liar.peerId);

    report(first, liar.peerId, 7);
    // The same viewer reporting twice still counts once.
    report(first, liar.peerId, 8);
    await first.settle();
    await expectNotBanned(liar);

    report(second, liar.peerId);
    expect(await liar.next('error')).toMatchObject({ code: 'banned' });
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
    // The ban is for this swarm: the viewer keeps its other rendition.
    await expectNotBanned(liarOtherRendition);

    // A re-join with the same viewer's token is refused while the ban lasts.
    const token = await signToken(keys, { stream: 'reported', sub: 'viewer-liar' });
    liar.send(joinMessage({ swarmId, token }));
    expect(await liar.upcoming('error')).toMatchObject({ code: 'banned', ref: 'join' });
    const metrics = await (await fetch(`${tracker.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/coral_tracker_bans_total\{[^}]*\} 1/);
  });

  it('ignores self-reports and reports about unknown peers', async () => {
    const reporter = await join('viewer-self');
    report(reporter, reporter.peerId);
    report(reporter, 'NobodyAtAll1');
    await reporter.settle();
    expect(reporter.all('error').filter((e) => e.code !== 'not_joined')).toHaveLength(0);
  });

  it('does not let one client with free tokens ban an audience, even in contact with it', async () => {
    const victims = await Promise.all(
      Array.from({ length: 5 }, (_, i) => join(`audience-${i}`, { swarm: 'reported/1080p' })),
    );
    // One address, a fresh token (viewer) per report: the old tracker banned everyone.
    const attackers = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        join(`sybil-${i}`, { swarm: 'reported/1080p', address: '10.200.0.1' }),
      ),
    );
    for (const attacker of attackers) {
      for (const victim of victims) {
        await connectThroughTracker('reported/1080p', attacker, victim);
        attacker.send({
          type: 'report',
          swarmId: 'reported/1080p',
          peerId: victim.peerId,
          reason: 'integrity',
        });
      }
      await attacker.settle();
    }
    await expectNotBanned(...victims);
  });

  it('does not count reports about a peer the reporter never exchanged signalling with', async () => {
    const target = await join('never-met');
    const reporters = [await join('stranger-1'), await join('stranger-2')];
    for (const reporter of reporters) {
      report(reporter, target.peerId);
      await reporter.settle();
    }
    await expectNotBanned(target);
    const metrics = await (await fetch(`${tracker.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /coral_tracker_reports_ignored_total\{[^}]*reason="not-relayed"[^}]*\} 2/,
    );
  });
});

describe('reports from newcomers', () => {
  let tracker: RunningTracker;
  const clients: TestClient[] = [];
  const join = joiner(() => tracker, clients);

  beforeAll(async () => {
    tracker = await startTracker(keys, {
      TRUST_PROXY: 'true',
      REPORT_BAN_THRESHOLD: '2',
      REPORT_MIN_TENURE_MS: '60000',
    });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await tracker.close();
  });

  it('do not count until the reporter has been in the swarm the minimum time', async () => {
    const target = await join('old-timer');
    const reporters = [await join('newcomer-1'), await join('newcomer-2')];
    for (const reporter of reporters) {
      await connectThroughTracker('reported/720p', reporter, target);
      reporter.send({
        type: 'report',
        swarmId: 'reported/720p',
        peerId: target.peerId,
        reason: 'integrity',
      });
      await reporter.settle();
    }
    await expectNotBanned(target);
    const metrics = await (await fetch(`${tracker.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/coral_tracker_reports_ignored_total\{[^}]*reason="too-new"[^}]*\} 2/);
  });
});

describe('a reporter that re-joins', () => {
  let tracker: RunningTracker;
  const clients: TestClient[] = [];
  const join = joiner(() => tracker, clients);

  beforeAll(async () => {
    // Only Date is faked (timers stay real): the tracker takes its clock from Date.now, and the
    // test moves it past the reporters' minimum tenure without waiting a minute.
    vi.useFakeTimers({ toFake: ['Date'] });
    tracker = await startTracker(keys, {
      TRUST_PROXY: 'true',
      REPORT_BAN_THRESHOLD: '2',
      REPORT_BAN_SHARE: '0',
      REPORT_MIN_TENURE_MS: '60000',
      // No heartbeat sweep runs while the clock jumps.
      HEARTBEAT_MS: '3600000',
    });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await tracker.close();
    vi.useRealTimers();
  });

  it('keeps its seniority: its reports count once it has been in the swarm the minimum time', async () => {
    const swarmId = 'reported/720p';
    const target = await join('rejoin-target');
    const reporters = [await join('rejoin-reporter-1'), await join('rejoin-reporter-2')];
    vi.setSystemTime(Date.now() + 61_000);
    for (const [i, reporter] of reporters.entries()) {
      // A re-join on the same connection, e.g. with new capacity figures.
      const token = await signToken(keys, { stream: 'reported', sub: `rejoin-reporter-${i + 1}` });
      reporter.send(joinMessage({ swarmId, token, uploadKbps: 900 }));
      await reporter.upcoming('joined');
      await connectThroughTracker(swarmId, reporter, target);
      reporter.send({ type: 'report', swarmId, peerId: target.peerId, reason: 'integrity' });
      await reporter.settle();
    }
    // The second report was handled (settle) and the ban sent first; sync: it has arrived.
    await target.sync();
    const metrics = await (await fetch(`${tracker.httpUrl}/metrics`)).text();
    expect(metrics).not.toMatch(/reason="too-new"/);
    expect(target.all('error').map((e) => e.code)).toContain('banned');
  });
});
