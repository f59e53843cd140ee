import { openAsBlob } from 'node:fs';
import { join } from 'node:path';
import { generateClip, makeTempDir, type TempDir } from './media.js';
import { freePort } from './ports.js';
import { spawnService, type RunningService, type SpawnServiceOptions } from './processes.js';
import { waitFor } from './wait.js';

/** The operator key of every origin the tests start (all scopes). Loopback-only test stacks. */
export const TEST_OPERATOR_KEY = 'coral-test-operator-key-0123456789';

/** Headers for the origin's control API with the test operator key (plus `extra`). */
export function operatorHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, authorization: `Bearer ${TEST_OPERATOR_KEY}` };
}

/**
 * Settings every test origin gets: the test operator key, and a playback rate limit that many
 * viewers on one loopback address never meet.
 */
export const TEST_ORIGIN_ENV: Readonly<Record<string, string>> = {
  OPERATOR_API_KEYS: TEST_OPERATOR_KEY,
  PLAYBACK_BURST: '100000',
  PLAYBACK_RATE_PER_SEC: '10000',
};

/** The Coral stack as real processes on loopback: origin, one edge, the tracker, the player. */
export interface Stack {
  origin: RunningService;
  edge: RunningService;
  tracker: RunningService;
  player: RunningService;
  region: string;
  dataDir: TempDir;
  /** Everything the services wrote (also those killed or restarted), for failure messages. */
  logs(): string;
  /**
   * Start one service again on its port with its settings (after `kill()` or `stop()`; a
   * service still running is stopped first). The stack's field then points at the new process.
   */
  restart(service: StackServiceName): Promise<RunningService>;
  stop(): Promise<void>;
}

export type StackServiceName = 'origin' | 'edge' | 'tracker' | 'player';

export interface StackOptions {
  /** The origin's ABR ladder (default: 240p only, to spare the 2 cores). */
  ladder?: string;
  region?: string;
  /** More origin settings (e.g. LIVE_TESTSRC_SIZE). */
  originEnv?: Record<string, string>;
  /** More edge settings (e.g. STALE_IF_ERROR_SEC). */
  edgeEnv?: Record<string, string>;
  /** More tracker settings (e.g. REPORT_BAN_THRESHOLD). */
  trackerEnv?: Record<string, string>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const region = options.region ?? 'e2e';
  const dataDir = makeTempDir('coral-e2e-');
  const [originPort, edgePort, trackerPort, playerPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const started: RunningService[] = [];
  const stopAll = async () => {
    await Promise.all(started.map((service) => service.stop()));
    dataDir.remove();
  };
  const settings: Record<StackServiceName, SpawnServiceOptions> = {
    origin: {
      app: 'origin',
      port: originPort,
      env: {
        DATA_DIR: join(dataDir.path, 'origin'),
        EDGES: `${region}=http://127.0.0.1:${edgePort}`,
        TRACKER_URLS: `ws://127.0.0.1:${trackerPort}/ws`,
        X264_PRESET: 'ultrafast',
        LADDER: options.ladder ?? '240:400k:64k',
        ...TEST_ORIGIN_ENV,
        ...options.originEnv,
      },
    },
    edge: {
      app: 'edge',
      port: edgePort,
      env: {
        ORIGIN_URL: `http://127.0.0.1:${originPort}`,
        EDGE_REGION: region,
        ...options.edgeEnv,
      },
    },
    tracker: {
      app: 'tracker',
      port: trackerPort,
      env: {
        TOKEN_JWKS_URL: `http://127.0.0.1:${originPort}/.well-known/jwks.json`,
        ...options.trackerEnv,
      },
    },
    player: {
      app: 'player',
      port: playerPort,
      env: { ORIGIN_URL: `http://127.0.0.1:${originPort}` },
    },
  };
  const starts = new Map<StackServiceName, number>();
  const start = async (name: StackServiceName) => {
    const count = (starts.get(name) ?? 0) + 1;
    starts.set(name, count);
    // A restarted service's output is labelled apart from the process it replaces.
    const service = await spawnService({
      ...settings[name],
      name: count === 1 ? name : `${name} (start ${count})`,
    });
    started.push(service);
    return service;
  };
  try {
    const origin = await start('origin');
    const [edge, tracker] = await Promise.all([start('edge'), start('tracker')]);
    const player = await start('player');
    const stack: Stack = {
      origin,
      edge,
      tracker,
      player,
      region,
      dataDir,
      logs: () => started.map((s) => `--- ${s.name}\n${s.output().slice(-4000)}`).join('\n'),
      restart: async (name) => {
        await stack[name].stop();
        stack[name] = await start(name);
        return stack[name];
      },
      stop: stopAll,
    };
    return stack;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Encode a test clip with ffmpeg, upload it to the origin and wait until it is packaged. */
export async function uploadClip(
  origin: RunningService,
  dir: string,
  id: string,
  clip: { durationSec: number; width: number; height: number },
): Promise<void> {
  await uploadFile(origin, generateClip({ path: join(dir, `${id}.mp4`), ...clip }), id);
}

/** Upload an encoded file as video `id` and wait until the origin has packaged it. */
export async function uploadFile(
  origin: RunningService,
  path: string,
  id: string,
  timeoutMs = 120_000,
): Promise<void> {
  const form = new FormData();
  form.set('id', id);
  form.set('title', `test ${id}`);
  form.set('file', await openAsBlob(path), `${id}.mp4`);
  const upload = await fetch(`${origin.url}/api/videos`, {
    method: 'POST',
    body: form,
    headers: operatorHeaders(),
  });
  if (upload.status !== 202)
    throw new Error(`upload ${id}: ${upload.status} ${await upload.text()}`);
  let last = '';
  await waitFor(
    `video ${id} packaged`,
    async () => {
      const status = (await (await fetch(`${origin.url}/api/videos/${id}`)).json()) as {
        status: string;
        error?: string;
      };
      last = JSON.stringify(status);
      if (status.status === 'failed' || status.status === 'cancelled')
        throw new Error(`packaging ${id} ${status.status}: ${status.error ?? ''}`);
      return status.status === 'ready';
    },
    { timeoutMs, intervalMs: 250 },
  ).catch((error: unknown) => {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}; last status ${last}`,
    );
  });
}
