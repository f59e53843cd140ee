import { openAsBlob } from 'node:fs';
import { join } from 'node:path';
import {
  generateClip,
  launchChromium,
  makeTempDir,
  openViewer,
  operatorHeaders,
  readCoral,
  waitFor,
  type TempDir,
  type Viewer,
} from '@coral-cdn/test-support';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  STACK_SERVICES,
  imageExists,
  podman,
  podmanCompose,
  stackImage,
  tail,
} from '../support/podman.js';

/**
 * docker-compose.yml brought up for real: podman-compose (runc) starts Redis, the origin, two
 * edges, two tracker nodes and the player from the images test/images.test.ts built, inside
 * this coral-netns namespace, so their published ports are on the namespace's loopback where
 * headless Chromium (same namespace) plays a stream through them. Then it all stops
 * (SIGTERM: every app exits 0) and is removed, volumes included.
 * Prometheus and Grafana are not started: their images cannot be pulled or built offline.
 */

const project = `coral-test-${process.pid}`;
const url = {
  origin: 'http://127.0.0.1:8080',
  edgeEu: 'http://127.0.0.1:8081',
  edgeUs: 'http://127.0.0.1:8082',
  trackerA: 'http://127.0.0.1:8090',
  trackerB: 'http://127.0.0.1:8091',
  player: 'http://127.0.0.1:8000',
};
const APP_SERVICES = STACK_SERVICES.filter((service) => service !== 'redis');
const container = (service: string) => `${project}_${service}_1`;
const timings: Record<string, number> = {};
let browser: Browser | null = null;
const viewers: Viewer[] = [];
let clipDir: TempDir;
let videoId = '';

/** What this test reads of a player page's `window.coral`. */
async function readPlayer(viewer: Viewer) {
  const coral = await readCoral(viewer.page);
  return {
    ready: coral.ready,
    error: coral.error,
    positionSec: coral.playback.positionSec,
    httpBytes: coral.stats?.httpBytes ?? 0,
    p2pBytes: coral.stats?.p2pBytes ?? 0,
    trackerConnected: coral.stats?.trackerConnected ?? false,
    stalls: coral.stats?.stalls ?? 0,
  };
}

async function json<T>(target: string): Promise<T> {
  const response = await fetch(target);
  if (!response.ok) throw new Error(`${target} answered ${response.status}`);
  return (await response.json()) as T;
}

async function logsOf(service: string): Promise<string> {
  const result = await podman(['logs', '--tail', '30', container(service)]);
  return `--- ${service}\n${tail(result.stdout + result.stderr, 30)}`;
}

async function allLogs(): Promise<string> {
  return (await Promise.all(STACK_SERVICES.map(logsOf))).join('\n');
}

beforeAll(async () => {
  const missing = [...new Set(['redis', 'origin', 'edge', 'tracker', 'player'] as const)]
    .map((app) => stackImage(app))
    .filter((image) => !imageExists(image));
  if (missing.length > 0) {
    throw new Error(
      `images missing (${missing.join(', ')}): they are built by test/images.test.ts ` +
        '(`npm test -w infra` runs it first, outside the namespace, where builds can download)',
    );
  }
  clipDir = makeTempDir('coral-infra-clip-');
  const startedAt = Date.now();
  const up = await podmanCompose(project, ['up', '-d', '--no-build', ...STACK_SERVICES], 300_000);
  if (up.status !== 0) throw new Error(`podman-compose up failed:\n${tail(up.stdout + up.stderr)}`);
  try {
    for (const [name, base] of Object.entries(url)) {
      await waitFor(
        `${name} healthy at ${base}/healthz`,
        async () => (await fetch(`${base}/healthz`)).ok,
        {
          timeoutMs: 120_000,
          intervalMs: 250,
        },
      );
    }
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${await allLogs()}`);
  }
  timings.upToHealthyMs = Date.now() - startedAt;
}, 400_000);

afterAll(async () => {
  for (const viewer of viewers) await viewer.context.close().catch(() => undefined);
  await browser?.close();
  clipDir?.remove();
  const down = await podmanCompose(project, ['down', '-v'], 120_000);
  await podman(['network', 'rm', '-f', `${project}_default`]);
  await podman(['volume', 'rm', '-f', `${project}_origin-data`]);
  process.stdout.write(
    `container test timings: ${JSON.stringify(timings)}; down exit ${down.status}\n`,
  );
}, 200_000);

describe('the compose stack in containers', () => {
  it("every app container is healthy by its image's own HEALTHCHECK", async () => {
    for (const service of STACK_SERVICES) {
      const check = await podman(['healthcheck', 'run', container(service)]);
      expect(check.status, `${service}: ${check.stdout}${check.stderr}`).toBe(0);
    }
  });

  it('the origin packages an upload into its named volume', async () => {
    const clip = generateClip({
      path: join(clipDir.path, 'clip.mp4'),
      durationSec: 16,
      width: 426,
      height: 240,
    });
    const form = new FormData();
    form.set('title', 'infra container test');
    form.set('file', await openAsBlob(clip), 'clip.mp4');
    const startedAt = Date.now();
    const response = await fetch(`${url.origin}/api/videos`, {
      method: 'POST',
      body: form,
      headers: operatorHeaders(),
    });
    expect(response.status, await response.clone().text()).toBe(202);
    videoId = ((await response.json()) as { id: string }).id;
    await waitFor(
      'the video packaged',
      async () => {
        const status = await json<{ status: string; error?: string }>(
          `${url.origin}/api/videos/${videoId}`,
        );
        if (status.status === 'failed') throw new Error(`packaging failed: ${status.error}`);
        return status.status === 'ready';
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    timings.packagingMs = Date.now() - startedAt;
    const listing = await podman([
      'run',
      '--rm',
      '--network=none',
      '-v',
      `${project}_origin-data:/data:ro`,
      stackImage('origin'),
      'ls',
      `/data/vod/${videoId}`,
    ]);
    expect(listing.status, listing.stderr).toBe(0);
    expect(listing.stdout).toContain('master.m3u8');
  });

  it('plays in headless Chromium through each region’s edge, playback info from the origin', async () => {
    expect(videoId).not.toBe('');
    const playback = await json<{ manifestUrl: string; trackerUrl: string }>(
      `${url.origin}/api/playback/${videoId}?region=us-east`,
    );
    expect(playback.manifestUrl.startsWith(`${url.edgeUs}/vod/${videoId}/`)).toBe(true);
    expect(['ws://127.0.0.1:8090/ws', 'ws://127.0.0.1:8091/ws']).toContain(playback.trackerUrl);

    browser = await launchChromium();
    const startedAt = Date.now();
    for (const region of ['eu-west', 'us-east']) {
      viewers.push(
        await openViewer(browser, `${url.player}/?id=${videoId}&region=${region}&maxHeight=240`),
      );
    }
    try {
      await waitFor(
        'both viewers playing 5 s in',
        async () => {
          const states = await Promise.all(viewers.map((viewer) => readPlayer(viewer)));
          const failed = states.find((state) => state.error);
          if (failed) throw new Error(`player error: ${failed.error}`);
          return states.every((state) => state.ready && state.positionSec >= 5);
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );
    } catch (error) {
      const states = await Promise.all(viewers.map((viewer) => readPlayer(viewer)));
      throw new Error(
        `${(error as Error).message}\n${JSON.stringify(states)}\n` +
          `${viewers.map((v) => v.consoleLines.slice(-15).join('\n')).join('\n---\n')}\n${await allLogs()}`,
      );
    }
    timings.playFiveSecondsMs = Date.now() - startedAt;
    const states = await Promise.all(viewers.map((viewer) => readPlayer(viewer)));
    for (const state of states) {
      expect(state.httpBytes + state.p2pBytes).toBeGreaterThan(0);
      expect(state.trackerConnected).toBe(true);
      expect(state.stalls).toBe(0);
    }
    timings.p2pBytes = states.reduce((sum, state) => sum + state.p2pBytes, 0);
    // Each region's edge served its viewer, and caches what it served.
    for (const edge of [url.edgeEu, url.edgeUs]) {
      const stats = await json<{ region: string; requests: { requests: number } }>(`${edge}/stats`);
      expect(stats.region, edge).toBe(edge === url.edgeEu ? 'eu-west' : 'us-east');
      expect(stats.requests.requests, edge).toBeGreaterThan(0);
      const segment = `${edge}/vod/${videoId}/240p/init.mp4`;
      await fetch(segment).then((r) => r.arrayBuffer());
      const again = await fetch(segment);
      expect(again.headers.get('x-cache'), edge).toBe('HIT');
    }
  });

  it('both tracker nodes see the swarm through Redis', async () => {
    const stats = await Promise.all(
      [url.trackerA, url.trackerB].map((tracker) =>
        json<{ peers: number; store: { kind: string; healthy: boolean } }>(`${tracker}/stats`),
      ),
    );
    for (const node of stats) {
      expect(node.store).toMatchObject({ kind: 'redis', healthy: true });
      expect(node.peers).toBeGreaterThanOrEqual(2);
    }
  });

  it('the analytics page shows every viewer and their beacons, from both trackers', async () => {
    const dashboard = await openViewer(browser!, `${url.player}/dashboard`);
    viewers.push(dashboard);
    const snapshot = await waitFor(
      'beacons from both viewers on /dashboard',
      async () =>
        dashboard.page.evaluate(() => {
          const data = (
            window as unknown as {
              coralDashboard?: {
                snapshot: {
                  viewers: number;
                  totals: { beacons: number; httpBytes: number };
                  trackers: Array<{ ok: boolean; store: string }>;
                } | null;
              };
            }
          ).coralDashboard?.snapshot;
          return data && data.viewers >= 2 && data.totals.beacons >= 2 ? data : null;
        }),
      { timeoutMs: 40_000, intervalMs: 1000 },
    );
    expect(snapshot.totals.httpBytes).toBeGreaterThan(0);
    expect(snapshot.trackers).toHaveLength(2);
    for (const node of snapshot.trackers) expect(node).toMatchObject({ ok: true, store: 'redis' });
    const shown = await dashboard.page.textContent('#viewers');
    expect(Number(shown)).toBeGreaterThanOrEqual(2);
  });

  it('stops gracefully: SIGTERM, and every app exits 0', async () => {
    for (const viewer of viewers.splice(0)) await viewer.context.close();
    const startedAt = Date.now();
    const stop = await podman(['stop', '--time', '20', ...APP_SERVICES.map(container)], 120_000);
    expect(stop.status, stop.stderr).toBe(0);
    timings.stopMs = Date.now() - startedAt;
    for (const service of APP_SERVICES) {
      const state = await podman([
        'inspect',
        '--format',
        '{{.State.ExitCode}}',
        container(service),
      ]);
      expect(state.stdout.trim(), `${service} exit code\n${await logsOf(service)}`).toBe('0');
    }
  });
});
