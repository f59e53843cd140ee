import { launchChromium, openViewer, waitFor, type Viewer } from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardPoint, DashboardSnapshot } from '../src/swarm-stats.js';
import { startAnalyticsStack, type AnalyticsStack } from './support/analytics-stack.js';

/**
 * The analytics page in real headless Chromium (inside coral-netns: `npm test -w apps/player`),
 * against real trackers and the built player server: its charts hold the series /api/dashboard
 * returns, its per-stream rows match the API's swarms.
 */

let stack: AnalyticsStack;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let viewer: Viewer;

interface PageState {
  updates: number;
  snapshot: DashboardSnapshot | null;
  charts: {
    delivery: Array<Array<number | null>>;
    offload: Array<Array<number | null>>;
    viewers: Array<Array<number | null>>;
  };
  swarmRows: string[][];
  chartCanvases: number;
  rateWindow: string | null;
}

/** The few DOM shapes read from the page (this test compiles without the DOM library). */
interface DomNode {
  textContent: string | null;
  querySelectorAll(selector: string): Iterable<DomNode> & { length: number };
}
interface PageGlobals {
  coralDashboard: { updates: number; snapshot: unknown; charts: () => unknown };
  document: DomNode;
}

const readPage = () =>
  viewer.page.evaluate(() => {
    const { coralDashboard, document } = globalThis as unknown as PageGlobals;
    return JSON.parse(
      JSON.stringify({
        updates: coralDashboard.updates,
        snapshot: coralDashboard.snapshot,
        charts: coralDashboard.charts(),
        swarmRows: [...document.querySelectorAll('#swarms tbody tr')].map((tr) =>
          [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
        ),
        chartCanvases: document.querySelectorAll('.uplot canvas').length,
        rateWindow: [...document.querySelectorAll('#rate-window')][0]?.textContent ?? null,
      }),
    ) as PageState;
  });

beforeAll(async () => {
  stack = await startAnalyticsStack();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the analytics page in Chromium', () => {
  it('draws the API series on time axes and one row per stream', async () => {
    const [a, b] = stack.trackers;
    const v1 = await stack.joinViewer(a, 'viewer-1', 'demo/240p');
    const v2 = await stack.joinViewer(b, 'viewer-2', 'demo/240p');
    const v3 = await stack.joinViewer(b, 'viewer-3', 'live/240p');
    v1.beacon({
      httpBytes: 1_000_000,
      p2pBytes: 0,
      peerAttempts: 1,
      pairsSrflx: 1,
      p2pEligible: true,
    });
    v2.beacon({ httpBytes: 0, p2pBytes: 0, peerAttempts: 1, peerFailures: 1, p2pEligible: false });
    v3.beacon({ httpBytes: 500_000, p2pBytes: 0 });
    await waitFor('the first beacons', async () => (await stack.dashboard()).totals.beacons === 3, {
      timeoutMs: 10_000,
      intervalMs: 300,
    });

    viewer = await openViewer(browser, `${stack.player.url}/dashboard`, {
      viewport: { width: 1200, height: 900 },
    });
    // Peer bytes after the page started, so its chart shows them arriving.
    await waitFor('two updates of the page', async () => (await readPage()).updates >= 2, {
      timeoutMs: 15_000,
      intervalMs: 250,
    });
    v1.beacon({ httpBytes: 1_000_000, p2pBytes: 4_000_000, peerAttempts: 1, pairsSrflx: 1 });
    const state = await waitFor(
      'the peer bytes on the page',
      async () => {
        const page = await readPage();
        return page.snapshot && page.snapshot.totals.p2pBytes === 4_000_000 ? page : null;
      },
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    expect(viewer.consoleLines.filter((line) => line.startsWith('pageerror'))).toEqual([]);
    expect(state.chartCanvases).toBe(3);
    expect(state.rateWindow).toContain(`moving ${state.snapshot!.rateWindowSec} s window`);

    // The charts hold exactly the snapshot's history: x in Unix seconds, rates in bit/s.
    const history: DashboardPoint[] = state.snapshot!.history;
    expect(history.length).toBeGreaterThanOrEqual(2);
    const x = history.map((p) => p.atMs / 1000);
    expect(state.charts.delivery).toEqual([
      x,
      history.map((p) => p.httpBitsPerSec),
      history.map((p) => p.p2pBitsPerSec),
      history.map((p) => p.uploadBitsPerSec),
    ]);
    expect(state.charts.offload).toEqual([
      x,
      history.map((p) => (p.offloadRatio === null ? null : p.offloadRatio * 100)),
    ]);
    expect(state.charts.viewers).toEqual([
      x,
      history.map((p) => p.viewers),
      history.map((p) => p.tried),
      history.map((p) => p.eligible),
    ]);
    // The last point: 4 MB from peers inside the 10 s window, 3 viewers, 1 of 2 eligible.
    const last = history.at(-1)!;
    expect(last.p2pBitsPerSec).toBeGreaterThan(0);
    expect(last.offloadRatio).toBeGreaterThan(0);
    expect(last).toMatchObject({ viewers: 3, tried: 2, eligible: 1 });

    // The page's figures are the API's: one row per stream, largest first.
    const api = await stack.dashboard();
    expect(api.totals).toEqual(state.snapshot!.totals);
    expect(api.swarms.map((s) => [s.swarmId, s.peers])).toEqual([
      ['demo/240p', 2],
      ['live/240p', 1],
    ]);
    expect(state.swarmRows).toEqual(
      api.swarms.map((s) => [
        s.swarmId,
        String(s.peers),
        s.offloadRatio === null ? '–' : `${Math.round(s.offloadRatio * 100)}%`,
        s.connectivity.tried > 0
          ? `${Math.round(s.connectivity.eligibleShare! * 100)}% (${s.connectivity.eligible}/${s.connectivity.tried})`
          : '–',
        s.connectivity.opened.srflx > 0 ? `srflx ${s.connectivity.opened.srflx}` : 'none',
      ]),
    );
    expect(state.swarmRows[0]).toEqual(['demo/240p', '2', '80%', '50% (1/2)', 'srflx 1']);
  }, 90_000);
});
