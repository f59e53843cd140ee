import { spawn, spawnSync } from 'node:child_process';
import { tiedToParent } from '@coral-cdn/test-support';
import { createHmac } from 'node:crypto';
import { LabError } from './errors.js';
import { stunBinding } from './stun.js';

export interface CoturnOptions {
  /** The address coturn listens on. */
  ip: string;
  /** The address it relays from (default `ip`). */
  relayIp?: string;
  port?: number;
  /** TURN REST-API shared secret (coturn `--static-auth-secret`). */
  secret: string;
  realm?: string;
  /** Relay port range (each allocation takes one). */
  minRelayPort?: number;
  maxRelayPort?: number;
}

export interface Coturn {
  readonly stunUrl: string;
  /** TURN over UDP and over TCP (for homes where UDP is blocked). */
  readonly turnUrls: string[];
  readonly secret: string;
  output(): string;
  /** SIGTERM and wait. Idempotent. */
  stop(): Promise<void>;
}

export const TURNSERVER = process.env.TURNSERVER_PATH ?? 'turnserver';

/** coturn's arguments for one STUN/TURN server with REST-API (shared secret) credentials. */
export function coturnArgs(options: CoturnOptions): string[] {
  return [
    '-n',
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    '--log-file=stdout',
    '--simple-log',
    `--listening-ip=${options.ip}`,
    `--relay-ip=${options.relayIp ?? options.ip}`,
    `--listening-port=${options.port ?? 3478}`,
    `--min-port=${options.minRelayPort ?? 40000}`,
    `--max-port=${options.maxRelayPort ?? 44999}`,
    `--realm=${options.realm ?? 'coral'}`,
    '--use-auth-secret',
    `--static-auth-secret=${options.secret}`,
    '--fingerprint',
    '--verbose',
    '--no-multicast-peers',
    '--allowed-peer-ip=198.18.0.0-198.19.255.255',
    // Peers ask for permissions to each other's private host candidates too. Relaying there
    // is useless (and an SSRF hole in production); in the lab the send fails with
    // ENETUNREACH, after which coturn closes the whole allocation: refuse them up front (403).
    '--denied-peer-ip=10.0.0.0-10.255.255.255',
    '--denied-peer-ip=172.16.0.0-172.31.255.255',
    '--denied-peer-ip=192.168.0.0-192.168.255.255',
  ];
}

/** TURN REST-API credentials: username `<unix expiry>:<user>`, password base64 HMAC-SHA1. */
export function turnCredentials(
  secret: string,
  user: string,
  ttlSec: number,
  nowMs = Date.now(),
): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlSec}:${user}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** Start coturn in the current namespace and wait until it answers a STUN Binding request. */
export async function startCoturn(options: CoturnOptions): Promise<Coturn> {
  const probe = spawnSync(TURNSERVER, ['--version'], { encoding: 'utf8' });
  if (probe.error)
    throw new LabError(
      `coturn (${TURNSERVER}) is not installed: apt-get install coturn, or \`npm run preflight\``,
    );
  const port = options.port ?? 3478;
  const child = spawn(...tiedToParent(TURNSERVER, coturnArgs(options)), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new LabError(`coturn exited with ${child.exitCode}: ${output.slice(-1500)}`);
    try {
      await stunBinding(options.ip, port, 300);
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new LabError(`coturn did not answer STUN on ${options.ip}:${port}: ${String(error)}`);
      }
    }
  }
  return {
    stunUrl: `stun:${options.ip}:${port}`,
    turnUrls: [
      `turn:${options.ip}:${port}?transport=udp`,
      `turn:${options.ip}:${port}?transport=tcp`,
    ],
    secret: options.secret,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
