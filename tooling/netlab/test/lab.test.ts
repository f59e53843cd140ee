import { spawnSync } from 'node:child_process';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLab,
  labRunIds,
  startCoturn,
  turnCredentials,
  type Coturn,
  type Lab,
} from '../src/index.js';
import { connectPeers, fixture, stunResponder } from './support.js';

const median = (values: number[]) =>
  [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

describe('the lab: NAT traversal through real coturn', () => {
  let lab: Lab;
  let coturn: Coturn;
  beforeAll(async () => {
    lab = await createLab({
      homes: [{ nat: 'cone' }, { nat: 'cone' }, { nat: 'symmetric' }, { nat: 'symmetric' }],
    });
    coturn = await startCoturn({ ip: lab.servicesIp, secret: 'lab-test-secret' });
  });
  afterAll(async () => {
    await coturn?.stop();
    lab?.destroy();
  });

  it('connects two cone homes srflx to srflx with STUN only', async () => {
    const outcome = await connectPeers(lab, 1, 2, [{ urls: coturn.stunUrl }], 10_000);
    expect(outcome.open, outcome.stderr).toBe(true);
    // Well inside the 10 s the failing cases below are given.
    expect(outcome.ms).toBeLessThan(5_000);
    // werift names its local end by its socket (host); the remote is the NAT's mapping.
    expect(outcome.pair).toMatch(/^(host|srflx)\/(srflx|prflx)$/);
  });

  it('never connects two homes with host candidates only (no STUN)', async () => {
    const outcome = await connectPeers(lab, 1, 2, [], 10_000);
    expect(outcome.open).toBe(false);
  });

  it('never connects two symmetric homes with STUN only', async () => {
    const outcome = await connectPeers(lab, 3, 4, [{ urls: coturn.stunUrl }], 10_000);
    expect(outcome.open).toBe(false);
  });

  it('connects two symmetric homes relay to relay through TURN (REST-API credentials)', async () => {
    // Each peer also asks coturn to relay to the other's private host candidate. coturn must
    // refuse those (403): a send to an unroutable address fails with ENETUNREACH here, and
    // coturn then closes the whole allocation, so the relay pair never came up (0 of 3 tries).
    const credentials = turnCredentials(coturn.secret, 'lab-viewer', 600);
    const outcome = await connectPeers(
      lab,
      3,
      4,
      [{ urls: coturn.turnUrls[0], ...credentials }],
      10_000,
    );
    expect(outcome.open, `${outcome.stderr}\n${coturn.output().slice(-3000)}`).toBe(true);
    expect(outcome.pair).toBe('relay/relay');
  });

  it('maps a symmetric home to a new public port per destination, a cone home to one', async () => {
    const [a, b] = [await stunResponder(lab.servicesIp), await stunResponder(lab.servicesIp)];
    const mappedFrom = async (home: number) => {
      const argv = [
        process.execPath,
        fixture('probe.mjs'),
        'stun-twice',
        lab.servicesIp,
        String(a.port),
        String(b.port),
      ];
      return JSON.parse((await lab.execInHome(home, argv)).stdout) as [string, string];
    };
    try {
      const [symFirst, symSecond] = await mappedFrom(3);
      expect(symFirst.split(':')[0]).toBe(lab.home(3).publicIp);
      expect(symSecond.split(':')[0]).toBe(lab.home(3).publicIp);
      expect(symFirst).not.toBe(symSecond);
      const [coneFirst, coneSecond] = await mappedFrom(1);
      expect(coneFirst.split(':')[0]).toBe(lab.home(1).publicIp);
      expect(coneFirst).toBe(coneSecond);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('the lab: caps, loss and delay', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await createLab({
      homes: [
        { nat: 'cone', upMbit: 2, downMbit: 8 },
        { nat: 'cone', lossRate: 0.1 },
        { nat: 'cone', delayMs: 25, jitterMs: 5 },
      ],
    });
  });
  afterAll(() => lab?.destroy());

  it('caps a home uplink at its rate (TCP from the home to a service)', async () => {
    const server = createTcpServer();
    let bytes = 0;
    let firstAt = 0;
    let lastAt = 0;
    server.on('connection', (socket) =>
      socket.on('data', (chunk: Buffer) => {
        firstAt ||= Date.now();
        lastAt = Date.now();
        bytes += chunk.length;
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, lab.servicesIp, resolve));
    const { port } = server.address() as AddressInfo;
    const result = await lab.execInHome(1, [
      process.execPath,
      fixture('probe.mjs'),
      'tcp-send',
      lab.servicesIp,
      String(port),
      '3',
    ]);
    expect(result.status).toBe(0);
    server.close();
    const mbit = (bytes * 8) / ((lastAt - firstAt) / 1000) / 1e6;
    expect(mbit).toBeGreaterThan(1.5);
    expect(mbit).toBeLessThan(2.3);
  });

  it('drops about the configured share of packets', async () => {
    const socket = createSocket('udp4');
    let received = 0;
    socket.on('message', () => received++);
    await new Promise<void>((resolve) => socket.bind(0, lab.servicesIp, resolve));
    const { port } = socket.address();
    const result = await lab.execInHome(2, [
      process.execPath,
      fixture('probe.mjs'),
      'udp-send',
      lab.servicesIp,
      String(port),
      '1500',
    ]);
    expect(result.status).toBe(0);
    socket.close();
    const loss = 1 - received / 1500;
    expect(loss).toBeGreaterThan(0.06);
    expect(loss).toBeLessThan(0.14);
  });

  it('adds the one-way delay each way (about 50 ms round trip for 25 ms)', async () => {
    const socket = createSocket('udp4');
    socket.on('message', (message, from) => socket.send(message, from.port, from.address));
    await new Promise<void>((resolve) => socket.bind(0, lab.servicesIp, resolve));
    const { port } = socket.address();
    const delayed = await lab.execInHome(3, [
      process.execPath,
      fixture('probe.mjs'),
      'udp-rtt',
      lab.servicesIp,
      String(port),
      '30',
    ]);
    const direct = await lab.execInHome(1, [
      process.execPath,
      fixture('probe.mjs'),
      'udp-rtt',
      lab.servicesIp,
      String(port),
      '30',
    ]);
    socket.close();
    const delayedMs = median((JSON.parse(delayed.stdout) as { rttMs: number[] }).rttMs);
    const directMs = median((JSON.parse(direct.stdout) as { rttMs: number[] }).rttMs);
    expect(directMs).toBeLessThan(10);
    expect(delayedMs).toBeGreaterThan(45);
    expect(delayedMs).toBeLessThan(70);
  });
});

describe('the lab: setup and teardown', () => {
  it('removes every namespace and process of a lab on destroy, idempotently', async () => {
    const lab = await createLab({ homes: [{ nat: 'cone', delayMs: 5 }] });
    expect(labRunIds()).toContain(lab.runId);
    lab.destroy();
    lab.destroy();
    expect(labRunIds()).not.toContain(lab.runId);
  });

  it('tears down, at the next lab, a lab whose owner crashed', async () => {
    const script = `
      import { createLab } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      const lab = await createLab({ homes: [{ nat: 'cone', delayMs: 5 }] });
      process.stdout.write(lab.runId);
      process.kill(process.pid, 'SIGKILL');`;
    const crashed = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    const runId = crashed.stdout.trim();
    expect(runId).toMatch(/^[a-z0-9]+$/);
    expect(labRunIds()).toContain(runId);
    const next = await createLab({ homes: [{ nat: 'cone' }] });
    next.destroy();
    expect(labRunIds()).not.toContain(runId);
  });

  it('refuses, saying why, outside a private network namespace', async () => {
    const saved = process.env.CORAL_NETNS;
    delete process.env.CORAL_NETNS;
    try {
      await expect(createLab({ homes: [{ nat: 'cone' }] })).rejects.toThrow(
        /private network namespace/,
      );
    } finally {
      process.env.CORAL_NETNS = saved;
    }
  });

  it('rejects a bad spec naming the home and the field, and leaves nothing behind', async () => {
    const before = labRunIds();
    await expect(
      createLab({ homes: [{ nat: 'cone' }, { nat: 'cone', lossRate: 1.5 }] }),
    ).rejects.toThrow(/home 2: lossRate 1.5/);
    expect(labRunIds()).toEqual(before);
  });
});
