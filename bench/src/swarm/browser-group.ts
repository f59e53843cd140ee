import { launchChromium, openViewer, sleep, type Viewer } from '@coral-cdn/test-support';
import type { Browser, Page } from 'playwright-core';
import {
  cdnReasonCounts,
  zeroCounters,
  type PageFetch,
  type SegmentArrival,
  type ViewerCounters,
  type ViewerDiagnostics,
  type ViewerGroup,
} from './viewers.js';

export interface BrowserGroupOptions {
  playerUrl: string;
  streamId: string;
  p2p: boolean;
  count: number;
  joinIntervalMs: number;
  /** `performance.now()` when the run started: arrival and join times are relative to it. */
  runStartedAtMs: number;
  /** Cap ABR (the stream has one 240p rendition; this keeps it so if a ladder grows). */
  maxHeight: number;
}

/** Between two probe joiners: the swarm settles after one leaves. */
const JOINER_PAUSE_MS = 1_000;

interface PageReading {
  counters: ViewerCounters;
  /** Segment records past the `from` index the benchmark already saw. */
  segments: Array<Omit<SegmentArrival, 'seenAtMs'>>;
  segmentCount: number;
}

/**
 * Runs in the page: `window.coral` → counters and the segment records not seen yet, their
 * delivery times made relative to `runStartedAtEpochMs`.
 */
function readPage({
  from,
  runStartedAtEpochMs,
}: {
  from: number;
  runStartedAtEpochMs: number;
}): PageReading {
  type Stats = Record<string, unknown> & { peerDetails?: unknown };
  const coral = (globalThis as unknown as { coral?: Record<string, unknown> }).coral;
  if (!coral) throw new Error('window.coral is not there (yet)');
  const stats = (coral.stats ?? null) as Stats | null;
  const num = (key: string): number => (typeof stats?.[key] === 'number' ? stats[key] : 0);
  const playback = coral.playback as { positionSec: number };
  const records = (coral.segments ?? []) as Array<Record<string, unknown>>;
  const start = records.length < from ? 0 : from;
  return {
    counters: {
      httpBytes: num('httpBytes'),
      p2pBytes: num('p2pBytes'),
      uploadedBytes: num('uploadedBytes'),
      segmentsFromHttp: num('segmentsFromHttp'),
      segmentsFromP2p: num('segmentsFromP2p'),
      segmentsMixed: num('segmentsMixed'),
      // Normalised outside the page (this function runs in it, without the module's imports).
      cdnReasons: (stats?.cdnReasons ?? null) as ViewerCounters['cdnReasons'],
      fallbacks: num('fallbacks'),
      integrityFailures: num('integrityFailures'),
      prefetchWastedBytes: num('prefetchWastedBytes'),
      stalls: num('stalls'),
      stallMs: num('stallMs'),
      startupMs: typeof stats?.startupMs === 'number' ? stats.startupMs : null,
      peers: num('peers'),
      trackerConnected: stats?.trackerConnected === true,
      passthroughBytes: num('passthroughBytes'),
      positionSec: playback.positionSec,
      error: typeof coral.error === 'string' ? coral.error : null,
    },
    segments: records.slice(start).map((record) => ({
      sequence: record.sequence as number,
      source: record.source as SegmentArrival['source'],
      cdnReason: (record.cdnReason ?? null) as SegmentArrival['cdnReason'],
      fromStore: record.fromStore as boolean,
      sizeBytes: record.sizeBytes as number,
      deliveredAtMs:
        typeof record.deliveredAtMs === 'number'
          ? Math.round(record.deliveredAtMs - runStartedAtEpochMs)
          : null,
      bufferedAheadSec:
        typeof record.bufferedAheadSec === 'number' ? record.bufferedAheadSec : null,
      latencySec: typeof record.latencySec === 'number' ? record.latencySec : null,
    })),
    segmentCount: records.length,
  };
}

interface Member {
  /** Null while its page is still loading (it joined at its slot, the page is on its way). */
  viewer: Viewer | null;
  joinedAtMs: number;
  seenSegments: number;
  arrivals: SegmentArrival[];
  /** The last good reading: a page that stops answering keeps its last counters. */
  last: ViewerCounters | null;
}

/** N player pages in one headless Chromium (one context each: own storage, own peer id). */
export class BrowserGroup implements ViewerGroup {
  readonly kind = 'browsers' as const;
  private readonly members: Member[] = [];
  private closed = false;

  private constructor(
    private readonly browser: Browser,
    private readonly options: BrowserGroupOptions,
  ) {}

  static async launch(options: BrowserGroupOptions): Promise<BrowserGroup> {
    return new BrowserGroup(await launchChromium(), options);
  }

  /**
   * Play one page (CDN-only) until it starts or `timeoutMs` passes, then close it: the first
   * measured run would otherwise pay alone for a cold Chromium, a cold player bundle and a
   * stream that just started. Returns the page's start-up ms (null: it did not start).
   */
  static async warmUp(
    options: Pick<BrowserGroupOptions, 'playerUrl' | 'streamId' | 'maxHeight'>,
    timeoutMs = 20_000,
  ): Promise<number | null> {
    const browser = await launchChromium();
    try {
      const viewer = await openViewer(browser, pageUrl(options, false));
      return await waitForStartup(viewer.page, timeoutMs, 500);
    } finally {
      await browser.close().catch(() => undefined);
    }
  }

  /** The run's start on the pages' wall clock (`Date.now()`), for their delivery times. */
  private get epochMs(): number {
    return performance.timeOrigin + this.options.runStartedAtMs;
  }

  private get url(): string {
    return pageUrl(this.options, this.options.p2p);
  }

  /**
   * Viewers join at fixed slots from the first join (`joinIntervalMs` apart): a page is opened
   * at its slot without waiting for the previous page to finish loading, so that a slow load
   * (a busy machine) does not stretch the joins. Resolves once every page has loaded.
   */
  async join(): Promise<void> {
    const firstAtMs = performance.now();
    const opening: Array<Promise<void>> = [];
    for (let index = 0; index < this.options.count; index++) {
      const slotMs = firstAtMs + index * this.options.joinIntervalMs - performance.now();
      if (slotMs > 0) await sleep(slotMs);
      if (this.closed) break;
      const member: Member = {
        viewer: null,
        joinedAtMs: performance.now() - this.options.runStartedAtMs,
        seenSegments: 0,
        arrivals: [],
        last: null,
      };
      this.members.push(member);
      opening.push(
        openViewer(this.browser, this.url).then((viewer) => {
          member.viewer = viewer;
        }),
      );
    }
    await Promise.all(opening);
  }

  async sample(): Promise<ViewerCounters[]> {
    const now = performance.now() - this.options.runStartedAtMs;
    return Promise.all(
      this.members.map(async (member) => {
        if (member.viewer === null) return zeroCounters(null);
        try {
          const reading = await readFrom(member.viewer.page, member.seenSegments, this.epochMs);
          member.seenSegments = reading.segmentCount;
          for (const segment of reading.segments)
            member.arrivals.push({ ...segment, seenAtMs: now });
          member.last = reading.counters;
          return reading.counters;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          return member.last ? { ...member.last, error: message } : zeroCounters(message);
        }
      }),
    );
  }

  async diagnostics(): Promise<ViewerDiagnostics[]> {
    return Promise.all(
      this.members.map(async (member, index) => {
        const unreadable = (error: unknown): PageExtras => ({
          logs: [`(unreadable: ${String(error)})`],
          peerDetails: null,
          pageFetches: [],
        });
        const extra = member.viewer
          ? await member.viewer.page.evaluate(readPageExtras).catch(unreadable)
          : unreadable('the page never loaded');
        return {
          index,
          joinedAtMs: Math.round(member.joinedAtMs),
          segments: member.arrivals,
          logs: extra.logs,
          peerDetails: extra.peerDetails,
          console: member.viewer?.consoleLines.slice(-50) ?? [],
          pageFetches: extra.pageFetches,
        };
      }),
    );
  }

  /**
   * Into the swarm as it plays now, open `count` more pages one at a time, alternating P2P and
   * CDN-only (P2P first when `p2pFirst`), each closed once it starts (or after `timeoutMs`):
   * both kinds of joiner meet the same machine and the same swarm, so their start-up differs
   * only by what P2P does on the joining page.
   */
  async probeJoiners(
    count: number,
    p2pFirst: boolean,
    timeoutMs = 10_000,
  ): Promise<{ p2pMs: Array<number | null>; cdnMs: Array<number | null> }> {
    const p2pMs: Array<number | null> = [];
    const cdnMs: Array<number | null> = [];
    for (let index = 0; index < count && !this.closed; index++) {
      const p2p = (index % 2 === 0) === p2pFirst;
      const viewer = await openViewer(this.browser, pageUrl(this.options, p2p));
      let startupMs: number | null = null;
      try {
        startupMs = await waitForStartup(viewer.page, timeoutMs, 100);
      } finally {
        await viewer.context.close().catch(() => undefined);
      }
      (p2p ? p2pMs : cdnMs).push(startupMs === null ? null : Math.round(startupMs));
      await sleep(JOINER_PAUSE_MS);
    }
    return { p2pMs, cdnMs };
  }

  peerPids(): number[] {
    return [];
  }

  peersCpuSec(): number {
    return 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.browser.close().catch(() => undefined);
  }
}

interface PageExtras {
  logs: string[];
  peerDetails: unknown;
  pageFetches: PageFetch[];
}

/** Runs in the page: engine logs, per-peer details and the first HTTP fetches of the page. */
function readPageExtras(): PageExtras {
  const coral = (globalThis as unknown as { coral?: Record<string, unknown> }).coral;
  const stats = coral?.stats as { peerDetails?: unknown } | null | undefined;
  const fetches = performance
    .getEntriesByType('resource')
    .slice(0, 40)
    .map((entry) => ({
      path: new URL(entry.name).pathname,
      startMs: Math.round(entry.startTime),
      // responseEnd: the last byte arrived.
      endMs: Math.round((entry as unknown as { responseEnd: number }).responseEnd),
    }));
  return JSON.parse(
    JSON.stringify({
      logs: coral?.logs ?? [],
      peerDetails: stats?.peerDetails ?? null,
      pageFetches: fetches,
    }),
  ) as PageExtras;
}

/** The player page of the stream, with P2P on or off, ABR capped at `maxHeight`. */
function pageUrl(
  options: Pick<BrowserGroupOptions, 'playerUrl' | 'streamId' | 'maxHeight'>,
  p2p: boolean,
): string {
  const { playerUrl, streamId, maxHeight } = options;
  return `${playerUrl}/?id=${encodeURIComponent(streamId)}&p2p=${p2p ? 1 : 0}&maxHeight=${maxHeight}`;
}

/** Poll a page every `pollMs` until it reports its start-up ms, or null after `timeoutMs`. */
async function waitForStartup(
  page: Page,
  timeoutMs: number,
  pollMs: number,
): Promise<number | null> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const reading = await readFrom(page, 0, 0).catch(() => null);
    if (reading?.counters.startupMs != null) return reading.counters.startupMs;
    await sleep(pollMs);
  }
  return null;
}

async function readFrom(
  page: Page,
  from: number,
  runStartedAtEpochMs: number,
): Promise<PageReading> {
  const reading = await page.evaluate(readPage, { from, runStartedAtEpochMs });
  reading.counters.cdnReasons = cdnReasonCounts(reading.counters.cdnReasons);
  return reading;
}
