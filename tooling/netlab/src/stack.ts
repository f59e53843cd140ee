import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  freePort,
  makeTempDir,
  repoRoot,
  TEST_ORIGIN_ENV,
  waitFor,
  type RunningService,
  type TempDir,
  tiedToParent,
} from '@coral-cdn/test-support';
import type { Coturn } from './coturn.js';
import type { Lab } from './lab.js';

/** The Coral stack on the lab's public network, where every home reaches it through its NAT. */
export interface LabStack {
  origin: RunningService;
  edge: RunningService;
  tracker: RunningService;
  player: RunningService;
  dataDir: TempDir;
  /** The page origins a home's browser must treat as secure (WebCrypto). */
  secureOrigins: string[];
  logs(): string;
  /** Stops every service and removes the data folder. Idempotent. */
  stop(): Promise<void>;
}

export interface LabStackOptions {
  /** STUN (and, with `turnForPeers`, TURN) for the viewers, from this coturn. */
  coturn?: Coturn;
  /** The origin hands out TURN credentials and allows relayed peer traffic. */
  turnForPeers?: boolean;
  /** The origin's ABR ladder (default 240p only). */
  ladder?: string;
  originEnv?: Record<string, string>;
  edgeEnv?: Record<string, string>;
  trackerEnv?: Record<string, string>;
}

/** Start one built app listening on `host` and wait for its `/healthz`. */
export async function spawnAppOn(
  host: string,
  app: string,
  env: Record<string, string>,
  port?: number,
): Promise<RunningService> {
  const script = join(repoRoot, 'apps', app, 'dist', 'main.js');
  if (!existsSync(script)) throw new Error(`${script} does not exist: build the app first`);
  const listenPort = port ?? (await freePort());
  const child = spawn(...tiedToParent(process.execPath, [script]), {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(listenPort), HOST: host },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = `http://${host}:${listenPort}`;
  try {
    await waitFor(
      `${app} on ${url}/healthz`,
      async () => {
        if (child.exitCode !== null)
          throw new Error(`${app} exited with ${child.exitCode}: ${output.slice(-2000)}`);
        return (await fetch(`${url}/healthz`)).ok;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    name: app,
    port: listenPort,
    url,
    process: child,
    output: () => output,
    stop: async () => {
      if (alive()) child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The origin's ICE settings for the lab: STUN always, TURN for peers only when asked. */
export function labIceEnv(options: LabStackOptions): Record<string, string> {
  const { coturn } = options;
  if (!coturn) return {};
  return {
    ICE_STUN_URLS: coturn.stunUrl,
    ICE_TURN_URLS: coturn.turnUrls.join(','),
    TURN_SECRET: coturn.secret,
    TURN_FOR_PEERS: options.turnForPeers ? 'true' : 'false',
  };
}

/**
 * Origin, edge, tracker and player on `lab.servicesIp` (this process's namespace), wired to
 * each other by that address, so that the playback answer a home gets names reachable URLs.
 */
export async function startLabStack(lab: Lab, options: LabStackOptions = {}): Promise<LabStack> {
  const host = lab.servicesIp;
  const dataDir = makeTempDir('coral-lab-stack-');
  const [originPort, edgePort, trackerPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const at = (port: number) => `http://${host}:${port}`;
  const started: RunningService[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(started.map((service) => service.stop()));
    dataDir.remove();
  };
  const start = async (app: string, env: Record<string, string>, port?: number) => {
    const service = await spawnAppOn(host, app, env, port);
    started.push(service);
    return service;
  };
  try {
    const origin = await start(
      'origin',
      {
        DATA_DIR: join(dataDir.path, 'origin'),
        EDGES: `lab=${at(edgePort)}`,
        TRACKER_URLS: `ws://${host}:${trackerPort}/ws`,
        X264_PRESET: 'ultrafast',
        LADDER: options.ladder ?? '240:400k:64k',
        ...TEST_ORIGIN_ENV,
        ...labIceEnv(options),
        ...options.originEnv,
      },
      originPort,
    );
    const [edge, tracker] = await Promise.all([
      start('edge', { ORIGIN_URL: origin.url, EDGE_REGION: 'lab', ...options.edgeEnv }, edgePort),
      start(
        'tracker',
        { TOKEN_JWKS_URL: `${origin.url}/.well-known/jwks.json`, ...options.trackerEnv },
        trackerPort,
      ),
    ]);
    const player = await start('player', { ORIGIN_URL: origin.url });
    return {
      origin,
      edge,
      tracker,
      player,
      dataDir,
      secureOrigins: [origin.url, edge.url, tracker.url, player.url],
      logs: () => started.map((s) => `--- ${s.name}\n${s.output().slice(-4000)}`).join('\n'),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
