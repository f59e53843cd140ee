import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stop the server (SIGTERM). Idempotent. */
  stop(): Promise<void>;
  /** Crash the server (SIGKILL), e.g. to test an outage. */
  kill(): Promise<void>;
  /** Start it again on the same port after stop/kill. */
  restart(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** A real redis-server on a free loopback port, with no persistence. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const binary = process.env.REDIS_SERVER_PATH ?? 'redis-server';
  let child = launch();
  function launch() {
    const proc = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    proc.once('error', () => undefined);
    return proc;
  }
  const halt = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  await waitFor(`redis-server on port ${port}`, () => ping(port), { timeoutMs: 10_000 });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    restart: async () => {
      await halt('SIGTERM');
      child = launch();
      await waitFor(`redis-server restart on port ${port}`, () => ping(port), {
        timeoutMs: 10_000,
      });
    },
  };
}
