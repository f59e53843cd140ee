import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, spawnService, type RunningService } from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const mainJs = join(repoRoot, 'apps', 'player', 'dist', 'main.js');
let player: RunningService;

beforeAll(async () => {
  player = await spawnService({
    app: 'player',
    env: {
      ORIGIN_URL: 'http://127.0.0.1:9/',
      P2P_DEFAULT: 'off',
      ICE_SERVERS: 'stun:stun.example:3478',
    },
  });
});

afterAll(async () => {
  await player?.stop();
});

describe('player server', () => {
  it('tells the page where the origin is, and the operator’s P2P default', async () => {
    const response = await fetch(`${player.url}/config.json`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      originUrl: 'http://127.0.0.1:9',
      p2pDefault: false,
      iceServers: [{ urls: 'stun:stun.example:3478' }],
    });
  });

  it('serves the built page at / and at page routes', async () => {
    for (const path of ['/', '/watch', '/?id=demo&p2p=1']) {
      const response = await fetch(`${player.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      const html = await response.text();
      expect(html).toContain('id="video"');
      expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js">/);
    }
  });

  it('serves hashed assets for good, with ETag revalidation', async () => {
    const assets = readdirSync(join(repoRoot, 'apps', 'player', 'dist', 'web', 'assets'));
    const script = assets.find((name) => name.endsWith('.js'))!;
    const response = await fetch(`${player.url}/assets/${script}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const body = await response.arrayBuffer();
    expect(Number(response.headers.get('content-length'))).toBe(body.byteLength);
    const etag = response.headers.get('etag')!;
    const again = await fetch(`${player.url}/assets/${script}`, {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
  });

  it('finds nothing outside the page folder, or that does not exist', async () => {
    for (const path of [
      '/missing.js',
      '/..%2f..%2fpackage.json',
      '/%2e%2e/%2e%2e/package.json',
      '/assets/%00.js',
      '/%E0%A4%A',
    ]) {
      const response = await fetch(`${player.url}${path}`);
      expect(response.status, path).toBe(404);
    }
  });

  it('answers only GET and HEAD', async () => {
    const response = await fetch(`${player.url}/`, { method: 'POST', body: 'x' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(`${player.url}/config.json`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('has /healthz and Prometheus /metrics counting requests', async () => {
    expect((await fetch(`${player.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${player.url}/metrics`)).text();
    expect(metrics).toMatch(
      /coral_player_http_requests_total\{route="config",status="200",service="player"\} \d+/,
    );
    expect(metrics).toContain('coral_process_cpu_user_seconds_total');
  });

  it('logs JSON lines and stops with exit 0 on SIGTERM', async () => {
    const service = await spawnService({ app: 'player', env: { LOG_LEVEL: 'info' } });
    expect(await service.stop()).toBe(0);
    const lines = service
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; service: string });
    expect(lines.map((l) => l.msg)).toEqual(['listening', 'stopping', 'stopped']);
    expect(lines.every((l) => l.service === 'player')).toBe(true);
  });

  it.each([
    ['ORIGIN_URL', 'ftp://origin'],
    ['PORT', 'eighty'],
    ['P2P_DEFAULT', 'maybe'],
    ['ICE_SERVERS', 'http://not-ice'],
    ['WEB_DIR', '/nonexistent-coral-dir'],
  ])('a bad %s is one line naming it, and exit 2', (name, value) => {
    const result = spawnSync(process.execPath, [mainJs], {
      env: { ...process.env, [name]: value },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(result.status).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`player: invalid configuration: ${name}`);
  });

  it('flags mirror the env vars', () => {
    const result = spawnSync(process.execPath, [mainJs, '--origin-url', 'nope'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('ORIGIN_URL');
  });
});
