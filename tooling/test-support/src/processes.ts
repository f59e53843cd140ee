import { spawn, type ChildProcess } from 'node:child_process';
import { tiedToParent } from './proc.js';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

/** The monorepo root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface RunningService {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly process: ChildProcess;
  /** Everything the process wrote (stdout and stderr), for assertions and failure messages. */
  output(): string;
  /** SIGTERM, then wait for exit; resolves with the exit code. Idempotent. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, not a shutdown. */
  kill(): Promise<void>;
}

export interface SpawnServiceOptions {
  /** App folder name under apps/ (its dist/main.js is run) or an absolute script path. */
  app: string;
  name?: string;
  env?: Record<string, string>;
  port?: number;
  args?: string[];
  /** Path that answers 200 when ready. */
  healthPath?: string;
  timeoutMs?: number;
}

/** Start a built Coral app on a free loopback port and wait until `/healthz` answers 200. */
export async function spawnService(options: SpawnServiceOptions): Promise<RunningService> {
  const script = options.app.startsWith('/')
    ? options.app
    : join(repoRoot, 'apps', options.app, 'dist', 'main.js');
  if (!existsSync(script)) throw new Error(`${script} does not exist: build the app first`);
  const port = options.port ?? (await freePort());
  const child = spawn(...tiedToParent(process.execPath, [script, ...(options.args ?? [])]), {
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      ...options.env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) =>
    child.once('exit', (code) => resolveExit(code)),
  );
  const url = `http://127.0.0.1:${port}`;
  const name = options.name ?? options.app;
  try {
    await waitFor(
      `${name} on ${url}${options.healthPath ?? '/healthz'}`,
      async () => {
        if (child.exitCode !== null)
          throw new Error(`${name} exited with ${child.exitCode}: ${output.slice(-2000)}`);
        const response = await fetch(`${url}${options.healthPath ?? '/healthz'}`);
        return response.ok;
      },
      { timeoutMs: options.timeoutMs ?? 20_000, intervalMs: 100 },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    name,
    port,
    url,
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
