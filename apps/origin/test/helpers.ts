import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { createLogger, parseConfig } from '@coral-cdn/server-kit';
import { generateClip, makeTempDir, type ClipOptions, type TempDir } from '@coral-cdn/test-support';
import { originConfigSchema, resolveConfig, type OriginConfig } from '../src/config.js';
import { refuseOversizedBeforeContinue } from '../src/http/expect-continue.js';
import { createOrigin, type Origin } from '../src/origin.js';

/** The operator key every test origin accepts (all scopes). */
export const TEST_KEY = 'test-operator-key-0123456789';
export const AUTH = { authorization: `Bearer ${TEST_KEY}` } as const;

/** `init` with the test operator key added to its headers. */
export function authed(init: RequestInit = {}): RequestInit {
  return { ...init, headers: { ...(init.headers as Record<string, string>), ...AUTH } };
}

export interface TestOrigin {
  readonly url: string;
  readonly origin: Origin;
  readonly config: OriginConfig;
  readonly dataDir: string;
  close(): Promise<void>;
}

/** A real origin in this process, on a free loopback port, with its data in a temp folder. */
export async function startTestOrigin(
  env: Record<string, string> = {},
  temp: TempDir = makeTempDir('coral-origin-test-'),
): Promise<TestOrigin> {
  const raw = parseConfig(originConfigSchema, {
    env: {
      DATA_DIR: join(temp.path, 'data'),
      X264_PRESET: 'ultrafast',
      LOG_LEVEL: 'silent',
      OPERATOR_API_KEYS: TEST_KEY,
      ...env,
    },
  });
  const config = resolveConfig(raw);
  const origin = await createOrigin(config, createLogger({ service: 'origin', level: 'silent' }));
  const server: Server = createServer(origin.app);
  refuseOversizedBeforeContinue(server, config.MAX_UPLOAD_BYTES, origin.operatorKeys);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let closed = false;
  return {
    url: `http://127.0.0.1:${port}`,
    origin,
    config,
    dataDir: config.DATA_DIR,
    close: async () => {
      if (closed) return;
      closed = true;
      await origin.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Generate a clip (real ffmpeg, ultrafast) into `dir`. */
export function clip(dir: string, name: string, options: Omit<ClipOptions, 'path'>): string {
  return generateClip({ path: join(dir, name), ...options });
}

export function run(
  command: string,
  args: readonly string[],
  options: {
    env?: Record<string, string>;
    timeoutMs?: number;
    /** Kill the process (SIGTERM) as soon as its stderr so far matches. */
    killWhenStderr?: RegExp;
  } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: options.timeoutMs ?? 60_000,
        env: { ...process.env, ...options.env },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    const killWhen = options.killWhenStderr;
    if (killWhen) {
      let seen = '';
      child.stderr?.on('data', (chunk: string) => {
        seen += chunk;
        if (killWhen.test(seen)) child.kill('SIGTERM');
      });
    }
  });
}

export async function ffprobe(args: readonly string[]): Promise<unknown> {
  const result = await run('ffprobe', ['-v', 'error', '-print_format', 'json', ...args]);
  if (result.code !== 0) throw new Error(`ffprobe failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as unknown;
}

/** Upload a file as multipart (fields first) with fetch, with the test operator key. */
export async function upload(
  originUrl: string,
  file: Blob,
  fields: Record<string, string> = {},
  filename = 'clip.mp4',
  headers: Record<string, string> = AUTH,
): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.set('file', file, filename);
  return fetch(`${originUrl}/api/videos`, { method: 'POST', body: form, headers });
}

export interface VideoStatusBody {
  id: string;
  status: string;
  progress: number;
  error?: string;
  errorCode?: string;
  renditions?: Array<{
    name: string;
    width?: number;
    height?: number;
    codecs: string[];
    bandwidth: number;
    segments: number;
  }>;
  durationSec?: number;
}

export async function videoStatus(originUrl: string, id: string): Promise<VideoStatusBody> {
  const response = await fetch(`${originUrl}/api/videos/${id}`);
  return (await response.json()) as VideoStatusBody;
}

/** Poll until the video leaves the queue and packaging. */
export async function waitSettled(
  originUrl: string,
  id: string,
  timeoutMs = 60_000,
): Promise<VideoStatusBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await videoStatus(originUrl, id);
    if (!['queued', 'probing', 'packaging'].includes(status.status)) return status;
    if (Date.now() > deadline) throw new Error(`video ${id} still ${status.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every file under a folder, relative paths, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}
