import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@coral-cdn/test-support';
import WebSocket from 'ws';
import {
  joinedClient,
  makeKeys,
  signToken,
  startTracker,
  TestClient,
  type RunningTracker,
  type TokenKeys,
} from './support.js';

describe('limits and malformed input', () => {
  let keys: TokenKeys;
  let tracker: RunningTracker;
  const opened: TestClient[] = [];
  /** Client frames the tracker took in (answered or dropped by the rate limit). */
  const handled = async () => {
    const text = await (await fetch(`${tracker.httpUrl}/metrics`)).text();
    let total = 0;
    for (const match of text.matchAll(
      /^coral_tracker_messages_received_total\{[^}]*type="(get-peers|rate_limited)"[^}]*\} (\d+)/gm,
    )) {
      total += Number(match[2]);
    }
    return total;
  };
  const connect = async () => {
    const client = await TestClient.connect(tracker.wsUrl);
    opened.push(client);
    return client;
  };

  beforeAll(async () => {
    keys = await makeKeys();
    tracker = await startTracker(keys, {
      MESSAGES_PER_SEC: '20',
      MESSAGES_BURST: '20',
      MAX_STRIKES: '6',
      MAX_MESSAGE_BYTES: '4096',
      MAX_CONNECTIONS_PER_IP: '12',
    });
  });

  afterAll(async () => {
    for (const client of opened) client.close();
    await tracker.close();
  });

  it('answers bad JSON, unknown types and schema violations with errors, and logs a warning', async () => {
    const client = await connect();
    client.sendRaw('{not json');
    expect(await client.upcoming('error')).toMatchObject({ code: 'bad_json' });
    client.sendRaw('[1,2]');
    expect(await client.upcoming('error')).toMatchObject({ code: 'bad_message' });
    client.send({ type: 'teleport', swarmId: 'a/b' });
    expect(await client.upcoming('error')).toMatchObject({ code: 'unknown_type', ref: 'teleport' });
    client.send({ type: 'get-peers', swarmId: 'no-slash', need: [], max: 5 });
    const invalid = await client.upcoming('error');
    expect(invalid).toMatchObject({ code: 'bad_message', ref: 'get-peers' });
    expect(invalid.message).toMatch(/swarmId/);
    client.sendRaw(Buffer.from([1, 2, 3]), { binary: true });
    expect(await client.upcoming('error')).toMatchObject({ code: 'bad_message' });
    expect(tracker.logs.some((l) => l.level === 'warn' && l.code === 'bad_json')).toBe(true);
    // Still served after these errors.
    await client.sync();
  });

  it('disconnects a repeat offender after MAX_STRIKES protocol errors', async () => {
    const logsBefore = tracker.logs.length;
    const client = await connect();
    for (let i = 0; i < 6; i++) client.sendRaw('garbage');
    const closed = await client.closed;
    expect(closed.code).toBe(1008);
    const last = client.all('error').at(-1)!;
    expect(last).toMatchObject({ code: 'bad_json', fatal: true });
    expect(client.all('error')).toHaveLength(6);
    // Six errors answered, two logged: the connection's first and the one that closed it.
    const logged = tracker.logs.slice(logsBefore).filter((l) => l.msg === 'protocol error');
    expect(logged.map((l) => [l.errorsOnConnection, l.fatal])).toEqual([
      [1, false],
      [6, true],
    ]);
  });

  it('refuses a schema-valid message padded with extra keys before parsing it, as a strike', async () => {
    const client = await connect();
    const padded: Record<string, unknown> = { type: 'ping', t: 1 };
    for (let i = 0; i < 300; i++) padded[`k${i}`] = 0;
    client.send(padded);
    const refused = await client.upcoming('error');
    expect(refused).toMatchObject({ code: 'bad_message', ref: 'ping' });
    expect(refused.message).toMatch(/refused before parsing: more than \d+ keys/);
    expect(client.all('pong')).toHaveLength(0);
    // Each padded frame is a strike: the sixth closes the connection.
    for (let i = 0; i < 5; i++) client.send(padded);
    expect((await client.closed).code).toBe(1008);
    expect(client.all('error').at(-1)).toMatchObject({ code: 'bad_message', fatal: true });
  });

  it('closes a connection that sends an oversized message, with too_large', async () => {
    const client = await connect();
    client.send({ type: 'ping', padding: 'x'.repeat(5000) });
    expect(await client.next('error')).toMatchObject({ code: 'too_large', fatal: true });
    expect((await client.closed).code).toBe(1009);
  });

  it('drops messages beyond the rate with one rate_limited error per second', async () => {
    const token = await signToken(keys, { stream: 'rate' });
    const client = await joinedClient(tracker.wsUrl, { swarmId: 'rate/720p', token });
    opened.push(client);
    const handledBefore = await handled();
    for (let i = 0; i < 60; i++)
      client.send({ type: 'get-peers', swarmId: 'rate/720p', need: [], max: 1 });
    // Every frame answered or dropped, and every answer arrived.
    await waitFor('the 60 frames handled', async () => (await handled()) - handledBefore >= 60);
    await waitFor('the answers arrived', async () => {
      const dropped = (await handled()) - handledBefore - client.all('peers').length;
      return client.all('peers').length + dropped === 60 && dropped > 0;
    });
    const answers = client.all('peers').length;
    expect(answers).toBeGreaterThanOrEqual(18);
    expect(answers).toBeLessThan(30);
    expect(client.all('error').filter((e) => e.code === 'rate_limited')).toHaveLength(1);
    // The bucket refills: the connection is served again.
    await waitFor('served again', () =>
      client.sync(100).then(
        () => true,
        () => false,
      ),
    );
  });

  it('refuses connections beyond MAX_CONNECTIONS_PER_IP with HTTP 429', async () => {
    const before = tracker.app.tracker.sessions.size;
    const more: Promise<TestClient>[] = [];
    for (let i = before; i < 12; i++) more.push(connect());
    await Promise.all(more);
    const refused = await new Promise<number>((resolve) => {
      const socket = new WebSocket(tracker.wsUrl);
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('open', () => resolve(101));
      socket.on('error', () => undefined);
    });
    expect(refused).toBe(429);
    // A slot frees when a connection closes.
    const last = opened.pop()!;
    last.close();
    await last.closed;
    await waitFor('a slot free again', () =>
      connect().then(
        () => true,
        () => false,
      ),
    );
  });

  it('survives a burst of random garbage from many connections', async () => {
    for (const client of opened.slice(-4)) {
      for (let i = 0; i < 3; i++)
        client.sendRaw(
          String.fromCharCode(
            ...Array.from({ length: 40 }, () => 32 + Math.floor(Math.random() * 90)),
          ),
        );
    }
    const response = await fetch(`${tracker.httpUrl}/healthz`);
    expect(response.status).toBe(200);
  });
});
