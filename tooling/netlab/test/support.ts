import type { ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../src/index.js';

export const fixture = (name: string) =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

interface Line {
  type: string;
  sdp?: string;
  local?: string;
  remote?: string;
}

function lines(child: ChildProcess, onLine: (line: Line) => void): void {
  createInterface({ input: child.stdout! }).on('line', (text) => {
    try {
      onLine(JSON.parse(text) as Line);
    } catch {
      // Not one of ours (werift's own logging).
    }
  });
}

/** Bound on starting both peers and gathering their candidates. */
const SETUP_BOUND_MS = 30_000;

export interface PairOutcome {
  open: boolean;
  /** ICE itself reported failure (not merely a timeout). */
  failed: boolean;
  /** From the answer reaching the offerer to the channel's first round trip (or giving up). */
  /** Candidate types of the offerer's nominated pair, e.g. "srflx/srflx". */
  pair?: string;
  ms: number;
  /** The peers' stderr, for failure messages. */
  stderr: string;
}

/**
 * Two werift peers, in homes `a` (offerer) and `b`, exchange descriptions through this process
 * (the signalling channel) and try to open a data channel within `timeoutMs` of the answer.
 */
export async function connectPeers(
  lab: Lab,
  a: number,
  b: number,
  iceServers: unknown[],
  timeoutMs: number,
): Promise<PairOutcome> {
  const env = { ...process.env, CORAL_ICE_SERVERS: JSON.stringify(iceServers) };
  const spawnPeer = (home: number, role: string) =>
    lab.spawnInHome(home, process.execPath, [fixture('ice-peer.mjs'), role], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  const offerer = spawnPeer(a, 'offer');
  const answerer = spawnPeer(b, 'answer');
  // ICE starts when the offerer gets the answer: time (and the bound) count from there, so that
  // a slow process start cannot pass for a failed connection.
  let startedAt = Date.now();
  let stderr = '';
  for (const child of [offerer, answerer])
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    return await new Promise<PairOutcome>((resolve) => {
      const giveUp = () =>
        resolve({ open: false, failed: false, ms: Date.now() - startedAt, stderr });
      let timer = setTimeout(giveUp, SETUP_BOUND_MS);
      lines(offerer, (line) => {
        if (line.type === 'offer') answerer.stdin!.write(`${JSON.stringify(line)}\n`);
        if (line.type === 'open') {
          clearTimeout(timer);
          resolve({
            open: true,
            failed: false,
            pair: `${line.local}/${line.remote}`,
            ms: Date.now() - startedAt,
            stderr,
          });
        }
        if (line.type === 'failed') {
          clearTimeout(timer);
          resolve({ open: false, failed: true, ms: Date.now() - startedAt, stderr });
        }
      });
      lines(answerer, (line) => {
        if (line.type !== 'answer') return;
        offerer.stdin!.write(`${JSON.stringify(line)}\n`);
        clearTimeout(timer);
        startedAt = Date.now();
        timer = setTimeout(giveUp, timeoutMs);
      });
    });
  } finally {
    offerer.kill('SIGKILL');
    answerer.kill('SIGKILL');
  }
}

/**
 * A minimal STUN Binding responder on `ip` (any port): answers with the XOR-MAPPED-ADDRESS it
 * saw as the first attribute, so the probe can read it at a fixed offset.
 */
export async function stunResponder(ip: string): Promise<{ port: number; close(): void }> {
  const socket: Socket = createSocket('udp4');
  socket.on('message', (request, from) => {
    const answer = Buffer.alloc(32);
    answer.writeUInt16BE(0x0101, 0);
    answer.writeUInt16BE(12, 2);
    request.copy(answer, 4, 4, 20);
    answer.writeUInt16BE(0x0020, 20);
    answer.writeUInt16BE(8, 22);
    answer.writeUInt16BE(1, 24);
    answer.writeUInt16BE(from.port ^ 0x2112, 26);
    const octets = from.address.split('.').map(Number);
    const ip32 = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
    answer.writeUInt32BE((ip32 ^ 0x2112a442) >>> 0, 28);
    socket.send(answer, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, ip, resolve));
  return { port: socket.address().port, close: () => socket.close() };
}
