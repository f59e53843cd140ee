import {
  launchChromium,
  openViewer,
  readCoral,
  sleep,
  waitFor,
  type Viewer,
} from '@coral-cdn/test-support';
import { median, percentile } from '../lib/stats.js';

/** One mode of the LL benchmark: N real Chromium viewers of one channel, measured in a window. */
export interface PhaseOptions {
  readonly label: string;
  readonly playerUrl: string;
  readonly channelId: string;
  readonly p2p: boolean;
  readonly viewers: number;
  readonly windowSec: number;
  readonly joinGapMs: number;
  /** Settling after the last viewer plays (start-up catch-up), before the window. */
  readonly settleSec: number;
}

export interface PhaseFigures {
  readonly label: string;
  readonly viewers: number;
  readonly latencyMedianSec: number;
  readonly latencyP95Sec: number;
  /** Peer bytes / all media bytes, over the steady window. */
  readonly offload: number;
  readonly stallsInWindow: number;
  readonly stallMsInWindow: number;
  readonly startupMedianMs: number;
  readonly startupMaxMs: number;
  /** Parts the pages fetched over HTTP in the window (LL-HLS only; resource timing). */
  readonly partsLoaded: number;
  /** LL parts in the window by source, and their bytes (peer parts checked against their hash). */
  readonly partsFromP2p: number;
  readonly partsFromHttp: number;
  readonly partP2pBytes: number;
  readonly partHttpBytes: number;
  /** Peer part bytes / all part bytes in the window. */
  readonly partOffload: number;
  readonly integrityFailures: number;
  readonly latencySamples: number;
}

async function partsLoaded(viewer: Viewer): Promise<number> {
  return viewer.page.evaluate(
    () =>
      performance
        .getEntriesByType('resource')
        .filter((entry) => /\/part_\d+_\d+\.m4s$/.test(entry.name)).length,
  );
}

export async function runPhase(options: PhaseOptions): Promise<PhaseFigures> {
  const browser = await launchChromium();
  const viewers: Viewer[] = [];
  try {
    const url = `${options.playerUrl}/?id=${options.channelId}&p2p=${options.p2p ? 1 : 0}`;
    for (let i = 0; i < options.viewers; i++) {
      viewers.push(await openViewer(browser, url));
      await sleep(options.joinGapMs);
    }
    await Promise.all(
      viewers.map((viewer, index) =>
        waitFor(
          `${options.label}: viewer ${index + 1} playing`,
          async () => {
            const s = await readCoral(viewer.page);
            if (s.error) throw new Error(s.error);
            return s.playback.state === 'playing' && s.playback.latencySec !== null;
          },
          { timeoutMs: 150_000, intervalMs: 500 },
        ),
      ),
    );
    await sleep(options.settleSec * 1000);
    const before = await Promise.all(viewers.map((v) => readCoral(v.page)));
    const partsBefore = await Promise.all(viewers.map(partsLoaded));
    const latencies: number[] = [];
    for (let second = 0; second < options.windowSec; second++) {
      await sleep(1000);
      for (const snapshot of await Promise.all(viewers.map((v) => readCoral(v.page)))) {
        if (snapshot.playback.latencySec !== null) latencies.push(snapshot.playback.latencySec);
      }
    }
    const after = await Promise.all(viewers.map((v) => readCoral(v.page)));
    const partsAfter = await Promise.all(viewers.map(partsLoaded));
    let http = 0;
    let p2p = 0;
    const parts = { fromP2p: 0, fromHttp: 0, p2pBytes: 0, httpBytes: 0 };
    let integrityFailures = 0;
    let stalls = 0;
    let stallMs = 0;
    const startups: number[] = [];
    after.forEach((snapshot, i) => {
      const a = snapshot.stats!;
      const b = before[i]!.stats!;
      // Parts the engine loaded are in httpBytes/p2pBytes; those hls.js loaded itself (before
      // the first frame, or with P2P off) only in partHttpBytes.
      const ownPartBytes = (s: typeof a) => (s.partHttpBytes ?? 0) - (s.parts?.httpBytes ?? 0);
      http += a.httpBytes - b.httpBytes + ownPartBytes(a) - ownPartBytes(b);
      p2p += a.p2pBytes - b.p2pBytes;
      parts.fromP2p += (a.partsFromP2p ?? 0) - (b.partsFromP2p ?? 0);
      parts.fromHttp += (a.partsFromHttp ?? 0) - (b.partsFromHttp ?? 0);
      parts.p2pBytes += (a.partP2pBytes ?? 0) - (b.partP2pBytes ?? 0);
      parts.httpBytes += (a.partHttpBytes ?? 0) - (b.partHttpBytes ?? 0);
      integrityFailures += a.integrityFailures - b.integrityFailures;
      stalls += a.stalls - b.stalls;
      stallMs += a.stallMs - b.stallMs;
      if (a.startupMs !== null) startups.push(a.startupMs);
    });
    const round = (value: number) => Math.round(value * 1000) / 1000;
    return {
      label: options.label,
      viewers: options.viewers,
      latencyMedianSec: round(median(latencies)),
      latencyP95Sec: round(percentile(latencies, 95)),
      offload: round(http + p2p === 0 ? 0 : p2p / (http + p2p)),
      stallsInWindow: stalls,
      stallMsInWindow: Math.round(stallMs),
      startupMedianMs: Math.round(median(startups)),
      startupMaxMs: Math.round(Math.max(...startups)),
      partsLoaded: partsAfter.reduce((sum, n, i) => sum + n - partsBefore[i]!, 0),
      partsFromP2p: parts.fromP2p,
      partsFromHttp: parts.fromHttp,
      partP2pBytes: parts.p2pBytes,
      partHttpBytes: parts.httpBytes,
      partOffload: round(
        parts.p2pBytes + parts.httpBytes === 0
          ? 0
          : parts.p2pBytes / (parts.p2pBytes + parts.httpBytes),
      ),
      integrityFailures,
      latencySamples: latencies.length,
    };
  } finally {
    await browser.close();
  }
}
