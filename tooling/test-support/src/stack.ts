import { openAsBlob } from 'node:fs';
import { join } from 'node:path';
import { generateClip, makeTempDir, type TempDir } from './media.js';
import { freePort } from './ports.js';
import { spawnService, type RunningService } from './processes.js';
import { waitFor } from './wait.js';

/** The Coral stack as real processes on loopback: origin, one edge, the tracker, the player. */
export interface Stack {
  origin: RunningService;
  edge: RunningService;
  tracker: RunningService;
  player: RunningService;
  region: string;
  dataDir: TempDir;
  /** Everything the services wrote, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** The origin's ABR ladder (default: 240p only, to spare the 2 cores). */
  ladder?: string;
  region?: string;
  /** More origin settings (e.g. LIVE_TESTSRC_SIZE). */
  originEnv?: Record<string, string>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const region = options.region ?? 'e2e';
  const dataDir = makeTempDir('coral-e2e-');
  const [originPort, edgePort, trackerPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const started: RunningService[] = [];
  const stopAll = async () => {
    await Promise.all(started.map((service) => service.stop()));
    dataDir.remove();
  };
  try {
    const origin = await spawnService({
      app: 'origin',
      port: originPort,
      env: {
        DATA_DIR: join(dataDir.path, 'origin'),
        EDGES: `${region}=http://127.0.0.1:${edgePort}`,
        TRACKER_URLS: `ws://127.0.0.1:${trackerPort}/ws`,
        X264_PRESET: 'ultrafast',
        LADDER: options.ladder ?? '240:400k:64k',
        ...options.originEnv,
      },
    });
    started.push(origin);
    const [edge, tracker] = await Promise.all([
      spawnService({
        app: 'edge',
        port: edgePort,
        env: { ORIGIN_URL: origin.url, EDGE_REGION: region },
      }),
      spawnService({
        app: 'tracker',
        port: trackerPort,
        env: { TOKEN_JWKS_URL: `${origin.url}/.well-known/jwks.json` },
      }),
    ]);
    started.push(edge, tracker);
    const player = await spawnService({ app: 'player', env: { ORIGIN_URL: origin.url } });
    started.push(player);
    return {
      origin,
      edge,
      tracker,
      player,
      region,
      dataDir,
      logs: () => started.map((s) => `--- ${s.name}\n${s.output().slice(-4000)}`).join('\n'),
      stop: stopAll,
    };
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
  const path = generateClip({ path: join(dir, `${id}.mp4`), ...clip });
  const form = new FormData();
  form.set('id', id);
  form.set('title', `e2e ${id}`);
  form.set('file', await openAsBlob(path), `${id}.mp4`);
  const upload = await fetch(`${origin.url}/api/videos`, { method: 'POST', body: form });
  if (upload.status !== 202) throw new Error(`upload: ${upload.status} ${await upload.text()}`);
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
        throw new Error(`packaging ${status.status}: ${status.error ?? ''}`);
      return status.status === 'ready';
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  ).catch((error: unknown) => {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}; last status ${last}`,
    );
  });
}
