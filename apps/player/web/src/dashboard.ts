import type { DashboardSnapshot } from '../../src/swarm-stats.js';
import { createCharts } from './dashboard-charts.js';
import { formatBitsPerSec, formatBytes, formatMs, formatPercent, pairSummary } from './format.js';

/**
 * The analytics page: live offload, viewers, swarms and QoE across every viewer of every
 * tracker, from the player server's /api/dashboard (which adds up the trackers' figures and
 * the beacons players send them). Exposed at `window.coralDashboard` for automation.
 */

const POLL_MS = 2000;

declare global {
  interface Window {
    coralDashboard?: {
      snapshot: DashboardSnapshot | null;
      error: string | null;
      updates: number;
      /** The series each chart holds (x in Unix seconds), as drawn. */
      charts: () => ReturnType<ReturnType<typeof createCharts>['data']>;
    };
  }
}

const charts = createCharts(
  element('chart-delivery'),
  element('chart-offload'),
  element('chart-viewers'),
  element('rate-window'),
);
const state: NonNullable<Window['coralDashboard']> = {
  snapshot: null,
  error: null,
  updates: 0,
  charts: () => charts.data(),
};
window.coralDashboard = state;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} missing from dashboard.html`);
  return found as T;
}

const ratio = (value: number | null) => (value === null ? '–' : formatPercent(value));

function setText(id: string, text: string): void {
  element(id).textContent = text;
}

function fillRows(tableId: string, rows: Array<Array<{ text: string; down?: boolean }>>): void {
  const body = element<HTMLTableElement>(tableId).tBodies[0]!;
  body.replaceChildren(
    ...rows.map((cells) => {
      const tr = document.createElement('tr');
      for (const cell of cells) {
        const td = document.createElement('td');
        td.textContent = cell.text;
        if (cell.down) td.className = 'down';
        tr.append(td);
      }
      return tr;
    }),
  );
}

function render(snapshot: DashboardSnapshot): void {
  const { totals, recent } = snapshot;
  // Absent from a player server older than the page.
  const connectivity = snapshot.connectivity ?? null;
  setText('offload-recent', ratio(recent?.offloadRatio ?? null));
  setText('offload-total', ratio(totals.offloadRatio));
  setText('viewers', String(snapshot.viewers));
  setText('swarm-count', String(snapshot.swarmCount));
  setText('stalls', String(totals.stalls));
  const figures: Array<[string, string]> = [
    ['from the CDN', formatBytes(totals.httpBytes)],
    ['from peers (verified)', formatBytes(totals.p2pBytes)],
    ['uploaded by viewers', formatBytes(totals.uploadedBytes)],
    ['CDN rate, last 30 s', recent ? formatBitsPerSec(recent.httpBitsPerSec) : '–'],
    ['peer rate, last 30 s', recent ? formatBitsPerSec(recent.p2pBitsPerSec) : '–'],
    ['time stalled', formatMs(totals.stallSec * 1000)],
    ['stalls per minute, last 30 s', recent ? recent.stallsPerMin.toFixed(1) : '–'],
    ['mean start-up', formatMs(totals.startupMeanMs)],
    ['peer → CDN fallbacks', String(totals.fallbacks)],
    ['integrity failures', String(totals.integrityFailures)],
    ['prefetched, never played', formatBytes(totals.prefetchWastedBytes)],
    [
      'P2P-eligible viewers',
      connectivity
        ? `${connectivity.eligible} of ${connectivity.tried} that tried (${ratio(connectivity.eligibleShare)})`
        : '–',
    ],
    [
      'peer connections: tried / failed',
      connectivity ? `${connectivity.attempts} / ${connectivity.failures}` : '–',
    ],
    ['relayed connections refused', connectivity ? String(connectivity.relayRefused) : '–'],
    ['swarm memberships', String(snapshot.peers)],
    ['tracker messages/s', snapshot.messagesPerSec.toFixed(1)],
    ['beacons received', String(totals.beacons)],
  ];
  element('figures').replaceChildren(
    ...figures.flatMap(([term, value]) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      return [dt, dd];
    }),
  );
  fillRows(
    'trackers',
    snapshot.trackers.map((node) =>
      node.ok
        ? [
            { text: node.nodeId ?? node.url },
            {
              text: `${node.store ?? '?'}${node.storeHealthy === false ? ' (down)' : ''}`,
              down: node.storeHealthy === false,
            },
            { text: String(node.connections) },
            { text: String(node.peers) },
            { text: node.messagesPerSec.toFixed(1) },
          ]
        : [{ text: node.url }, { text: node.error ?? 'unreachable', down: true }],
    ),
  );
  fillRows(
    'swarms',
    snapshot.swarms.map((swarm) => {
      const c = swarm.connectivity;
      return [
        { text: swarm.swarmId },
        { text: String(swarm.peers) },
        { text: ratio(swarm.offloadRatio) },
        { text: c && c.tried > 0 ? `${ratio(c.eligibleShare)} (${c.eligible}/${c.tried})` : '–' },
        { text: c ? pairSummary(c.opened) : '–' },
      ];
    }),
  );
  charts.update(snapshot.history, snapshot.rateWindowSec);
  setText('updated', `updated ${new Date(snapshot.atMs).toLocaleTimeString()}`);
}

async function poll(): Promise<void> {
  try {
    const response = await fetch('/api/dashboard', { cache: 'no-store' });
    if (!response.ok) throw new Error(`/api/dashboard answered ${response.status}`);
    const snapshot = (await response.json()) as DashboardSnapshot;
    state.snapshot = snapshot;
    state.error = null;
    state.updates++;
    render(snapshot);
  } catch (error) {
    state.error = error instanceof Error ? error.message : String(error);
    setText('updated', `cannot reach the player server: ${state.error}`);
  } finally {
    setTimeout(() => void poll(), POLL_MS);
  }
}

void poll();
