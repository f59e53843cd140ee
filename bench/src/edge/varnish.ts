import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitFor } from '@coral-cdn/test-support';

export const VARNISHD_PATH = process.env.VARNISHD_PATH ?? '/usr/sbin/varnishd';

export function varnishAvailable(): boolean {
  return existsSync(VARNISHD_PATH);
}

export interface RunningVarnish {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Varnish (Debian's varnishd) in front of `originUrl` with its defaults: malloc storage, the
 * built-in VCL, plus only an X-Cache header (HIT when the object had hits) so the benchmark
 * can check every target is warm. Foreground (-F), so the child is the manager process and
 * its tree holds the cache worker.
 */
export async function startVarnish(options: {
  originUrl: string;
  dir: string;
  storageBytes: number;
}): Promise<RunningVarnish> {
  const port = await freePort();
  const { dir } = options;
  // varnishd reads the VCL as its own unprivileged user: the folder must be world-readable.
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  const origin = new URL(options.originUrl);
  const vclPath = join(dir, 'default.vcl');
  writeFileSync(
    vclPath,
    `vcl 4.1;
backend default { .host = "${origin.hostname}"; .port = "${origin.port}"; }
sub vcl_deliver {
  if (obj.hits > 0) { set resp.http.X-Cache = "HIT"; } else { set resp.http.X-Cache = "MISS"; }
}
`,
    { mode: 0o644 },
  );
  const child: ChildProcess = spawn(
    VARNISHD_PATH,
    [
      '-F',
      '-a',
      `127.0.0.1:${port}`,
      '-f',
      vclPath,
      '-s',
      `malloc,${Math.floor(options.storageBytes / (1024 * 1024))}m`,
      '-n',
      join(dir, 'work'),
      '-P',
      join(dir, 'varnish.pid'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `varnish on ${url}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`varnishd exited ${child.exitCode}: ${stderr}`);
      const response = await fetch(`${url}/healthz`);
      await response.arrayBuffer();
      return true;
    },
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
