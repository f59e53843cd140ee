import { writeFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { launchChromiumInHome } from '@coral-cdn/netlab';
import { openViewer, type Viewer as PageViewer } from '@coral-cdn/test-support';
import { cdnReasonCounts } from '../swarm/viewers.js';
import type { ViewerOutcome } from './figures.js';
import { viewerFields, type RunningViewer, type ViewerRun } from './werift-viewer.js';

/** How often the page is read: its last good reading counts if it stops answering. */
const READ_INTERVAL_MS = 1_000;

type PageReading = Omit<ViewerOutcome, 'index' | 'nat' | 'upMbit' | 'rttMs' | 'lossRate'>;

/**
 * Runs in the page: `window.coral`'s counters, and the media played (the video element's
 * `played` ranges: exact for VOD and live alike).
 */
function readPage(): PageReading {
  const coral = (globalThis as unknown as { coral?: Record<string, unknown> }).coral;
  if (!coral) throw new Error('window.coral is not there (yet)');
  const stats = (coral.stats ?? null) as Record<string, unknown> | null;
  const num = (key: string): number => (typeof stats?.[key] === 'number' ? stats[key] : 0);
  interface Played {
    length: number;
    start(i: number): number;
    end(i: number): number;
  }
  const page = globalThis as unknown as {
    document: { querySelector(selector: string): { played: Played } | null };
  };
  const video = page.document.querySelector('video');
  let playedSec = 0;
  for (let i = 0; video !== null && i < video.played.length; i++)
    playedSec += video.played.end(i) - video.played.start(i);
  return {
    httpBytes: num('httpBytes'),
    cdnReasons: (stats?.cdnReasons ?? null) as ViewerOutcome['cdnReasons'],
    p2pBytes: num('p2pBytes'),
    uploadedBytes: num('uploadedBytes'),
    stalls: num('stalls'),
    stallMs: num('stallMs'),
    startupMs: typeof stats?.startupMs === 'number' ? stats.startupMs : null,
    playedSec,
    error: typeof coral.error === 'string' ? coral.error : null,
  };
}

/**
 * One viewer as a headless Chromium on the reference player in its own home, watching for
 * `watchSec` from the page's request (the browser's launch before it does not count). A browser does not know its uplink: unlike the werift
 * viewer it announces no upload cap (the engine measures what its peers receive).
 */
export function startBrowserViewer(run: ViewerRun): RunningViewer {
  const { lab, stack, viewer } = run;
  let browser: Browser | null = null;
  let page: PageViewer | null = null;
  let last: PageReading | null = null;
  let failure: string | null = null;
  const timeline: string[] = [];
  const startedAtMs = performance.now();
  const mark = (what: string) =>
    timeline.push(`+${Math.round(performance.now() - startedAtMs)} ms ${what}`);
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const read = async () => {
    if (page === null) return;
    try {
      const reading = await page.page.evaluate(readPage);
      last = { ...reading, cdnReasons: cdnReasonCounts(reading.cdnReasons) };
    } catch {
      // not there yet, or gone: the last good reading stands
    }
  };
  const done = (async (): Promise<ViewerOutcome> => {
    const timer = setInterval(() => void read(), READ_INTERVAL_MS);
    let watched: ReturnType<typeof setTimeout> | undefined;
    try {
      browser = await launchChromiumInHome(lab, viewer.index + 1, {
        secureOrigins: stack.secureOrigins,
      });
      const url =
        `${stack.player.url}/?id=${encodeURIComponent(run.streamId)}` +
        `&p2p=${run.p2p ? 1 : 0}&bufferSec=${run.bufferSec}` +
        (run.liveSyncSegments === null ? '' : `&liveSyncSegments=${run.liveSyncSegments}`);
      mark('browser launched');
      // The watch starts as the page is asked for (a werift viewer's as its process starts).
      watched = setTimeout(stop, run.watchSec * 1000);
      page = await openViewer(browser, url);
      mark('page loaded');
      await stopped;
      await read();
      mark(`read: ${JSON.stringify(last)}`);
      const logs = await page.page
        .evaluate(() => (globalThis as unknown as { coral?: { logs?: string[] } }).coral?.logs)
        .catch(() => undefined);
      timeline.push(...(logs ?? []), ...page.consoleLines);
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    } finally {
      clearInterval(timer);
      clearTimeout(watched);
      if (run.logPath !== null) writeFileSync(`${run.logPath}.log`, timeline.join('\n') + '\n');
      await browser?.close().catch(() => undefined);
    }
    return outcomeOf(run, last, failure);
  })();
  // Closing the browser also ends a launch or page load that hangs, so the run stays bounded.
  const kill = () => {
    stop();
    void browser?.close().catch(() => undefined);
  };
  return { done, kill };
}

function outcomeOf(
  run: ViewerRun,
  reading: PageReading | null,
  failure: string | null,
): ViewerOutcome {
  return {
    ...viewerFields(run.viewer),
    ...(reading ?? {
      httpBytes: 0,
      cdnReasons: cdnReasonCounts(null),
      p2pBytes: 0,
      uploadedBytes: 0,
      stalls: 0,
      stallMs: 0,
      startupMs: null,
      playedSec: 0,
      error: null,
    }),
    error: failure ?? reading?.error ?? (reading ? null : 'the page never answered'),
  };
}
