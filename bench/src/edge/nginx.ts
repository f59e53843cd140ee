import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitFor } from '@coral-cdn/test-support';

export const NGINX_PATH = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

export function nginxAvailable(): boolean {
  return existsSync(NGINX_PATH);
}

export interface RunningNginx {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * nginx as a caching reverse proxy in front of `originUrl`, configured the way a CDN node
 * would be for HLS: proxy_cache on disk (served from the page cache with sendfile, cache files
 * kept open), keep-alive upstream pool, cache lock (coalescing), stale serving, no access log.
 */
export async function startNginx(options: {
  originUrl: string;
  workers: number;
  dir: string;
}): Promise<RunningNginx> {
  const port = await freePort();
  const { dir } = options;
  for (const sub of ['cache', 'temp', 'logs'])
    mkdirSync(join(dir, sub), { recursive: true, mode: 0o777 });
  const origin = new URL(options.originUrl);
  const config = `
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes ${options.workers};
daemon off;
master_process on;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'logs', 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  # Keeps cache files open across hits (proxy_cache honours it): a tuned baseline.
  open_file_cache max=1000 inactive=60s;
  client_body_temp_path ${join(dir, 'temp', 'client')};
  proxy_temp_path ${join(dir, 'temp', 'proxy')};
  fastcgi_temp_path ${join(dir, 'temp', 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'temp', 'uwsgi')};
  scgi_temp_path ${join(dir, 'temp', 'scgi')};
  proxy_cache_path ${join(dir, 'cache')} levels=1:2 keys_zone=coral:16m max_size=1g inactive=1h use_temp_path=off;
  upstream origin { server ${origin.host}; keepalive 32; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache coral;
      proxy_cache_lock on;
      proxy_cache_background_update on;
      proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;
      add_header X-Cache $upstream_cache_status;
    }
  }
}
`;
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, config);
  const child: ChildProcess = spawn(NGINX_PATH, ['-p', dir, '-c', configPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `nginx on ${url}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${stderr}`);
      const response = await fetch(`${url}/healthz`);
      await response.arrayBuffer();
      return true;
    },
    { timeoutMs: 10_000, intervalMs: 100 },
  );
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGQUIT'); // graceful stop
      await exited;
    },
  };
}
