import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, spawnService, waitFor } from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestOrigin, Gate } from './support/test-origin.js';

const mainScript = join(repoRoot, 'apps', 'edge', 'dist', 'main.js');
let origin: TestOrigin;

beforeAll(async () => {
  if (!existsSync(mainScript)) throw new Error(`${mainScript} is missing: run the build first`);
  origin = await TestOrigin.start();
});
afterAll(async () => {
  await origin.close();
});

describe('the edge process (dist/main.js)', () => {
  it('serves /healthz and /metrics, finishes an in-flight response on SIGTERM, then exits 0', async () => {
    const gate = new Gate();
    origin.route('/vod/v1/720p/seg_1.m4s', async (_req, res) => {
      res.writeHead(200, { 'content-length': '10', 'cache-control': 'max-age=60' });
      res.write('01234');
      await gate.opened;
      res.end('56789');
    });
    const edge = await spawnService({
      app: 'edge',
      env: { ORIGIN_URL: origin.url, EDGE_REGION: 'eu-west', LOG_LEVEL: 'info' },
    });
    try {
      const health = await fetch(`${edge.url}/healthz`);
      expect(health.status).toBe(200);
      const metrics = await (await fetch(`${edge.url}/metrics`)).text();
      expect(metrics).toContain('region="eu-west"');
      expect(metrics).toContain('coral_edge_requests_total');

      const inFlight = fetch(`${edge.url}/vod/v1/720p/seg_1.m4s`).then((response) =>
        response.text(),
      );
      // Wait until the origin has the request, then ask the edge to stop.
      await waitFor(
        'the origin to get the request',
        () => origin.count('/vod/v1/720p/seg_1.m4s') > 0,
        {
          timeoutMs: 5000,
          intervalMs: 5,
        },
      );
      const exited = edge.stop();
      // The edge has begun stopping (its log says so) with the response still in flight.
      await waitFor('the edge to log stopping', () => edge.output().includes('"msg":"stopping"'), {
        timeoutMs: 5000,
        intervalMs: 5,
      });
      gate.open();
      expect(await inFlight).toBe('0123456789');
      expect(await exited).toBe(0);
      const logs = edge
        .output()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { msg: string; service: string });
      expect(logs.every((line) => line.service === 'edge')).toBe(true);
      expect(logs.map((line) => line.msg)).toEqual(
        expect.arrayContaining(['edge listening', 'stopping', 'stopped']),
      );
    } finally {
      await edge.kill();
    }
  });

  it('exits 2 with one line naming the variable on bad config', async () => {
    const cases = [
      [{ ORIGIN_URL: 'not a url' }, [], 'ORIGIN_URL'],
      [{ CACHE_MEMORY_BYTES: 'huge' }, [], 'CACHE_MEMORY_BYTES'],
      [{ EDGE_REGION: 'Not_Valid!' }, [], 'EDGE_REGION'],
      [{}, ['--no-such-flag', 'x'], 'NO_SUCH_FLAG'],
    ] as const;
    const results = await Promise.all(
      cases.map(([env, args]) => run([mainScript, ...args], { ...process.env, ...env })),
    );
    results.forEach((result, i) => {
      expect(result.code).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^edge: invalid configuration: ${cases[i]![2]}: `));
    });
  });
});

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
