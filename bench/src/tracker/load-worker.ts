// Child process: simulated peers for the tracker benchmark. The parent sends commands over
// IPC (connect, announce, query, relay, close); the worker answers with measurements.
// Messages are built as strings and classified by prefix, so the clients stay cheap and the
// tracker under test, not the load generator, is what saturates.
import { createPrivateKey } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { signViewerToken } from './tokens.js';
import type { WorkerCommand, WorkerReply } from './worker-protocol.js';

type Kind = 'coral' | 'bittorrent';

interface Client {
  readonly index: number;
  readonly ws: WebSocket;
  /** Coral: the tracker's peer id; bittorrent: our own 20-character peer id. */
  peerId: string;
  partner: Client | null;
  outstanding: number;
  sequence: number;
  onMessage: (text: string) => void;
}

const SWARM = 'bench/720p';
const INFO_HASH = 'coralbenchinfohash01';
const HAVE_WINDOW = 30;

const now = () => performance.timeOrigin + performance.now();
const clients: Client[] = [];
let kind: Kind = 'coral';
/** Peers of this worker that drive the closed-loop phases (bounded work in flight). */
let activeClients = 500;

function reply(message: WorkerReply): void {
  process.send?.(message);
}

function btPeerId(index: number, workerId: number): string {
  return `-CB01-${String(workerId).padStart(2, '0')}${String(index).padStart(12, '0')}`.slice(
    0,
    20,
  );
}

async function connect(command: Extract<WorkerCommand, { cmd: 'connect' }>): Promise<void> {
  kind = command.kind;
  activeClients = command.activeClients;
  const key = command.tokenKeyPem ? createPrivateKey(command.tokenKeyPem) : null;
  const started = now();
  const concurrency = 200;
  let next = 0;
  const openOne = async (index: number) => {
    const ws = new WebSocket(command.url, { perMessageDeflate: false });
    const client: Client = {
      index,
      ws,
      peerId: kind === 'bittorrent' ? btPeerId(index, command.workerId) : '',
      partner: null,
      outstanding: 0,
      sequence: HAVE_WINDOW,
      onMessage: () => undefined,
    };
    ws.on('message', (data) => client.onMessage((data as Buffer).toString()));
    ws.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await new Promise<void>((resolve) => {
      client.onMessage = (text) => {
        if (kind === 'coral' && text.startsWith('{"type":"joined"')) {
          client.peerId = (JSON.parse(text) as { peerId: string }).peerId;
          resolve();
        } else if (kind === 'bittorrent' && text.includes('"interval"')) {
          resolve();
        }
      };
      if (kind === 'coral') {
        const token = signViewerToken(key!, {
          sub: `viewer-${command.workerId}-${index}`,
          stream: 'bench',
          ttlSec: 3600,
        });
        ws.send(
          JSON.stringify({
            type: 'join',
            v: 1,
            token,
            swarmId: SWARM,
            region: index % 2 === 0 ? 'eu-west' : 'us-east',
            uploadKbps: 1000 + ((index * 7919) % 20_000),
            connectionType: 'wifi',
            live: true,
            have: Array.from({ length: HAVE_WINDOW }, (_, i) => i),
          }),
        );
      } else {
        ws.send(btAnnounce(client.peerId, 'started', []));
      }
    });
    clients[index] = client;
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, command.count) }, async () => {
      while (next < command.count) await openOne(next++);
    }),
  );
  for (let i = 0; i + 1 < clients.length; i += 2) {
    clients[i]!.partner = clients[i + 1]!;
    clients[i + 1]!.partner = clients[i]!;
  }
  for (const client of clients) client.onMessage = () => undefined;
  reply({ ev: 'connected', ms: now() - started });
}

function btAnnounce(
  peerId: string,
  event: string,
  offers: Array<{ offer: { type: string; sdp: string }; offer_id: string }>,
): string {
  return JSON.stringify({
    action: 'announce',
    info_hash: INFO_HASH,
    peer_id: peerId,
    numwant: offers.length,
    uploaded: 0,
    downloaded: 0,
    left: 0,
    event,
    offers,
  });
}

/**
 * Closed loop: every client keeps `window` operations in flight and starts the next batch
 * when the previous one is complete; counts operations completed before the deadline
 * (`opsPerCompletion` per completing message).
 */
/**
 * Send a batch as one write: the load generator corks the client's socket (ws exposes it as
 * `_socket`), so a batch costs one syscall instead of one per frame. Same for both trackers.
 */
function corked(client: Client, send: () => void): void {
  const socket = (client.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
  socket?.cork();
  try {
    send();
  } finally {
    socket?.uncork();
  }
}

/**
 * After the deadline, a message each active client sends that its tracker handles after the
 * work queued before it, and the reply that shows it was: the phase ends when every one came
 * back, so work the tracker acknowledged (pong) but had not done yet is not counted as done.
 */
interface Barrier {
  send(client: Client): void;
  done(text: string): boolean;
}

async function closedLoop(
  durationMs: number,
  window: number,
  opsPerCompletion: number,
  sendBatch: (client: Client) => void,
  completes: (text: string) => boolean,
  barrier?: Barrier,
): Promise<void> {
  let running = true;
  let completed = 0;
  const started = now();
  // Spread the active peers over the whole swarm; the rest stay joined and idle.
  const stride = Math.max(1, Math.floor(clients.length / activeClients));
  const active = clients.filter((_, i) => i % stride === 0).slice(0, activeClients);
  for (const client of active) {
    client.outstanding = window;
    client.onMessage = (text) => {
      if (!completes(text)) return;
      // Every completion before the deadline counts (not whole batches: a deep queue would
      // otherwise hide work done in the last round).
      if (running) completed += opsPerCompletion;
      if (--client.outstanding > 0) return;
      if (!running) return;
      client.outstanding = window;
      corked(client, () => sendBatch(client));
    };
    corked(client, () => sendBatch(client));
  }
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  running = false;
  const elapsedMs = now() - started;
  // Let in-flight operations finish before the next phase.
  const drainUntil = now() + 30_000;
  while (active.some((c) => c.outstanding > 0) && now() < drainUntil) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  let drainMs = 0;
  if (barrier) {
    const deadline = started + durationMs;
    await Promise.all(
      active.map(
        (client) =>
          new Promise<void>((resolve) => {
            client.onMessage = (text) => {
              if (barrier.done(text)) resolve();
            };
            barrier.send(client);
          }),
      ),
    );
    drainMs = Math.round(now() - deadline);
  }
  for (const client of clients) client.onMessage = () => undefined;
  reply({
    ev: 'throughput',
    completed,
    elapsedMs: barrier ? elapsedMs + drainMs : elapsedMs,
    drainMs,
  });
}

function announce(durationMs: number, window: number): Promise<void> {
  if (kind === 'coral') {
    // Coral's announce is a have delta (no reply); a ping after each batch closes the loop.
    return closedLoop(
      durationMs,
      1,
      window,
      (client) => {
        for (let k = 0; k < window; k++) {
          const s = client.sequence++;
          client.ws.send(
            `{"type":"have","swarmId":"${SWARM}","added":[${s}],"lost":[${s - HAVE_WINDOW}]}`,
          );
        }
        client.ws.send('{"type":"ping"}');
      },
      (text) => text.startsWith('{"type":"pong"'),
      // A pong comes ahead of queued work; a get-peers answer comes after it (with Redis the
      // haves wait on Redis, and without this would be counted as soon as they were read).
      {
        send: (client) =>
          client.ws.send(`{"type":"get-peers","swarmId":"${SWARM}","need":[],"max":1}`),
        done: (text) => text.startsWith('{"type":"peers"'),
      },
    );
  }
  return closedLoop(
    durationMs,
    window,
    1,
    (client) => {
      for (let k = 0; k < window; k++) client.ws.send(btAnnounce(client.peerId, 'update', []));
    },
    (text) => text.includes('"interval"'),
  );
}

function query(durationMs: number, window: number, peersWanted: number): Promise<void> {
  if (kind === 'coral') {
    return closedLoop(
      durationMs,
      window,
      1,
      (client) => {
        const s = client.sequence;
        for (let k = 0; k < window; k++) {
          client.ws.send(
            `{"type":"get-peers","swarmId":"${SWARM}","need":[${s},${s + 1},${s + 2}],"max":${peersWanted}}`,
          );
        }
      },
      (text) => text.startsWith('{"type":"peers"'),
    );
  }
  // bittorrent-tracker picks peers only by forwarding offers to them: one offer per peer.
  let offerCounter = 0;
  return closedLoop(
    durationMs,
    window,
    1,
    (client) => {
      for (let k = 0; k < window; k++) {
        const offers = Array.from({ length: peersWanted }, () => ({
          offer: { type: 'offer', sdp: 'v=0 bench' },
          offer_id: `o${String(offerCounter++).padStart(19, '0')}`.slice(-20),
        }));
        client.ws.send(btAnnounce(client.peerId, 'update', offers));
      }
    },
    (text) => text.includes('"interval"'),
  );
}

/** Open-loop signalling at a fixed rate: offer → answer, one-way latency of each leg. */
async function relay(durationMs: number, ratePerSec: number): Promise<void> {
  const latencies: number[] = [];
  let sent = 0;
  let counter = 0;
  for (const client of clients) {
    client.onMessage = (text) => {
      if (kind === 'coral') {
        if (!text.startsWith('{"type":"signal"')) return;
        const message = JSON.parse(text) as {
          from: string;
          signal: { kind: string; connectionId: string; sdp: string };
        };
        latencies.push(now() - Number(message.signal.sdp.slice(2)));
        if (message.signal.kind === 'offer') {
          client.ws.send(
            JSON.stringify({
              type: 'signal',
              swarmId: SWARM,
              to: message.from,
              signal: {
                kind: 'answer',
                connectionId: message.signal.connectionId,
                sdp: `t=${now()}`,
              },
            }),
          );
        }
        return;
      }
      if (text.includes('"interval"')) return;
      const message = JSON.parse(text) as {
        offer?: { sdp: string };
        answer?: { sdp: string };
        offer_id: string;
        peer_id: string;
      };
      const sdp = message.offer?.sdp ?? message.answer?.sdp;
      if (sdp === undefined) return;
      latencies.push(now() - Number(sdp.slice(2)));
      if (message.offer) {
        client.ws.send(
          JSON.stringify({
            action: 'announce',
            info_hash: INFO_HASH,
            peer_id: client.peerId,
            to_peer_id: message.peer_id,
            answer: { type: 'answer', sdp: `t=${now()}` },
            offer_id: message.offer_id,
          }),
        );
      }
    };
  }
  const tickMs = 5;
  const perTick = (ratePerSec * tickMs) / 1000;
  let credit = 0;
  let cursor = 0;
  const started = now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (now() - started >= durationMs) {
        clearInterval(timer);
        resolve();
        return;
      }
      credit += perTick;
      while (credit >= 1) {
        credit -= 1;
        const client = clients[cursor++ % clients.length]!;
        sent++;
        const sdp = `t=${now()}`;
        if (kind === 'coral') {
          client.ws.send(
            JSON.stringify({
              type: 'signal',
              swarmId: SWARM,
              to: client.partner!.peerId,
              signal: { kind: 'offer', connectionId: `c${counter++}`, sdp },
            }),
          );
        } else {
          const offerId = `r${String(counter++).padStart(19, '0')}`.slice(-20);
          client.ws.send(
            btAnnounce(client.peerId, 'update', [
              { offer: { type: 'offer', sdp }, offer_id: offerId },
            ]),
          );
        }
      }
    }, tickMs);
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const client of clients) client.onMessage = () => undefined;
  reply({ ev: 'latencies', sent, latenciesMs: latencies });
}

// The benchmark died: do not linger.
process.on('disconnect', () => process.exit(0));

process.on('message', (command: WorkerCommand) => {
  const run = async () => {
    switch (command.cmd) {
      case 'connect':
        return connect(command);
      case 'announce':
        return announce(command.durationMs, command.window);
      case 'query':
        return query(command.durationMs, command.window, command.peers);
      case 'relay':
        return relay(command.durationMs, command.ratePerSec);
      case 'close':
        for (const client of clients) client.ws.terminate();
        process.exit(0);
    }
  };
  run().catch((error: unknown) => {
    reply({ ev: 'error', message: error instanceof Error ? error.message : String(error) });
  });
});
