import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, waitFor, type RunningService } from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnalyticsStack, type AnalyticsStack } from './support/analytics-stack.js';

/**
 * The analytics page's data, end to end (test/support/analytics-stack.ts): two real tracker
 * nodes on a real Redis, viewers beaconing over WebSocket, the built player server adding up.
 */

const SWARM = 'demo/240p';
let stack: AnalyticsStack;
let trackers: RunningService[];
let player: RunningService;
const dashboard = () => stack.dashboard();
const joinViewer = (tracker: RunningService, viewerId: string) =>
  stack.joinViewer(tracker, viewerId, SWARM);

/** Beacons the tracker nodes have handled, from their own /metrics (not through the player). */
async function trackerBeacons(): Promise<number> {
  let sum = 0;
  for (const tracker of trackers) {
    const text = await (await fetch(`${tracker.url}/metrics`)).text();
    const line = /^coral_tracker_beacons_total(?:\{[^}]*\})? (\d+)$/m.exec(text);
    sum += Number(line?.[1] ?? 0);
  }
  return sum;
}

beforeAll(async () => {
  // Both nodes, and one that is down: its row says so, the others still count.
  stack = await startAnalyticsStack(['http://127.0.0.1:9/']);
  trackers = stack.trackers;
  player = stack.player;
});

afterAll(async () => {
  await stack?.stop();
});

describe('analytics across trackers', () => {
  it('adds up viewers, swarms and beacons from every tracker node', async () => {
    const [a, b] = trackers as [RunningService, RunningService];
    const v1 = await joinViewer(a, 'viewer-1');
    const v2 = await joinViewer(a, 'viewer-2');
    const v3 = await joinViewer(b, 'viewer-3');
    // viewer-1 tried and never connected (CDN-only); the other two connected directly.
    v1.beacon({
      httpBytes: 3_000_000,
      p2pBytes: 0,
      startupMs: 800,
      peerAttempts: 2,
      peerFailures: 2,
      p2pEligible: false,
    });
    v2.beacon({
      httpBytes: 1_000_000,
      p2pBytes: 2_000_000,
      uploadedBytes: 500_000,
      peerAttempts: 1,
      pairsSrflx: 1,
      p2pEligible: true,
    });
    // Stall time under the tracker's cap (time since joining plus 1 s), so all of it counts.
    v3.beacon({
      httpBytes: 0,
      p2pBytes: 2_000_000,
      stalls: 1,
      stallMs: 900,
      startupMs: 1200,
      peerAttempts: 1,
      pairsSrflx: 1,
      p2pEligible: true,
    });

    // The player's first reading of the trackers is taken once both have counted all three,
    // so that the moving window below starts from it.
    await waitFor('the three beacons at the trackers', async () => (await trackerBeacons()) === 3);
    const first = await dashboard();
    expect(first.totals.beacons).toBe(3);
    expect(first.viewers).toBe(3);
    expect(first.peers).toBe(3);
    // Per swarm, summed over both nodes: 2 of the 3 viewers that tried are eligible.
    expect(first.swarms).toEqual([
      {
        swarmId: SWARM,
        peers: 3,
        // 4 MB from peers of 8 MB in all (summed over both nodes).
        offloadRatio: 0.5,
        connectivity: {
          tried: 3,
          eligible: 2,
          eligibleShare: 2 / 3,
          opened: { host: 0, srflx: 2, prflx: 0, relay: 0, unknown: 0 },
        },
      },
    ]);
    expect(first.connectivity).toEqual({
      tried: 3,
      eligible: 2,
      eligibleShare: 2 / 3,
      attempts: 4,
      failures: 2,
      relayRefused: 0,
    });
    expect(first.swarmCount).toBe(1);
    expect(first.totals).toMatchObject({
      httpBytes: 4_000_000,
      p2pBytes: 4_000_000,
      uploadedBytes: 500_000,
      offloadRatio: 0.5,
      stalls: 1,
      stallSec: 0.9,
      startups: 2,
      startupMeanMs: 1000,
    });
    const byNode = new Map(first.trackers.map((node) => [node.nodeId ?? node.url, node]));
    expect(byNode.get('tracker-a')).toMatchObject({ ok: true, connections: 2, store: 'redis' });
    expect(byNode.get('tracker-b')).toMatchObject({ ok: true, connections: 1, store: 'redis' });
    const down = first.trackers.find((node) => !node.ok)!;
    expect(down.url).toBe('http://127.0.0.1:9');
    expect(down.error).toBeTruthy();

    // Cumulative beacons: only the increase counts. A counter that went down (a new player
    // session on that membership) counts in full. `first` was read before these are sent, so
    // they land in a later reading: the player reads the trackers again once its snapshot is a
    // second old (minIntervalMs), which the wait below polls through.
    v1.beacon({ httpBytes: 3_000_000, p2pBytes: 6_000_000, startupMs: 800 });
    v3.beacon({ httpBytes: 1_000_000, p2pBytes: 0, stalls: 0, startupMs: 900 });
    const second = await waitFor(
      'the second beacons',
      async () => {
        const snapshot = await dashboard();
        return snapshot.totals.beacons === 5 ? snapshot : null;
      },
      { timeoutMs: 10_000, intervalMs: 300 },
    );
    expect(second.atMs).toBeGreaterThan(first.atMs);
    expect(second.totals.p2pBytes).toBe(10_000_000);
    expect(second.totals.httpBytes).toBe(5_000_000);
    expect(second.totals.offloadRatio).toBeCloseTo(10 / 15, 6);
    expect(second.recent).not.toBeNull();
    // Over the window: 6 MB from peers, 1 MB from the CDN.
    expect(second.recent!.offloadRatio).toBeCloseTo(6 / 7, 6);
    expect(second.recent!.p2pBitsPerSec).toBeGreaterThan(0);
    // The charts' points: rates over a 10 s moving window, viewers and P2P-eligible viewers.
    expect(second.rateWindowSec).toBe(10);
    const last = second.history.at(-1)!;
    expect(last).toMatchObject({ atMs: second.atMs, viewers: 3, peers: 3, tried: 3, eligible: 2 });
    expect(last.p2pBitsPerSec).toBeGreaterThan(0);
  });

  it('serves the analytics page at /dashboard and the player everywhere else', async () => {
    const page = await fetch(`${player.url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('id="offload-recent"');
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/dashboard-[\w-]+\.js">/);
    const watch = await (await fetch(`${player.url}/watch`)).text();
    expect(watch).toContain('id="video"');
  });

  it('refuses a TRACKER_STATS_URLS entry that is not an http URL (exit 2, names it)', () => {
    const run = spawnSync(process.execPath, [join(repoRoot, 'apps/player/dist/main.js')], {
      env: { ...process.env, PORT: '0', TRACKER_STATS_URLS: 'ws://127.0.0.1:8090/ws' },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('TRACKER_STATS_URLS');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
