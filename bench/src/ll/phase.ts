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
  /** The channel's part target (0: classic live), to put manifest traffic per part. */
  readonly partSec: number;
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
  /** Media bytes the pages took from the CDN in the window (segments and parts). */
  readonly mediaHttpBytes: number;
  /** Integrity manifest fetches of all pages in the window, and their body bytes. */
  readonly manifestRequests: number;
  readonly manifestBytes: number;
  /** Of these, blocking fetches (`_HLS_msn`): a part fetcher's, for the part's signed entry. */
  readonly manifestBlockingRequests: number;
  readonly manifestBlockingBytes: number;
  /** Manifest fetches and bytes per part published in the window (LL only). */
  readonly manifestRequestsPerPart: number;
  readonly manifestBytesPerPart: number;
  readonly latencySamples: number;
  /**
   * Per viewer in the window, KB: all media bytes (CDN and peers), of which LL parts and whole
   * segments, and the media the CDN sent. A viewer that plays parts needs about one copy of the
   * stream; whole-segment bytes on top of its parts are the same media downloaded twice.
   */
  readonly mediaKbPerViewer: number;
  readonly partKbPerViewer: number;
  readonly segmentKbPerViewer: number;
  readonly cdnMediaKbPerViewer: number;
  /** The page's own CDN requests per viewer in the window (resource timing), by kind. */
  readonly cdnRequestsPerViewer: Readonly<CdnTraffic>;
}

/** A page's CDN requests by kind (integrity manifests: their body bytes and blocking ones too). */
interface CdnTraffic {
  playlist: number;
  part: number;
  segment: number;
  manifest: number;
}

interface ManifestTraffic {
  requests: number;
  bytes: number;
  blockingRequests: number;
  blockingBytes: number;
}

const emptyCdnTraffic = (): CdnTraffic => ({ playlist: 0, part: 0, segment: 0, manifest: 0 });

/** The page's CDN requests so far by kind (resource timing, not peers' data channels). */
async function cdnTraffic(viewer: Viewer): Promise<CdnTraffic> {
  return viewer.page.evaluate(() => {
    const out = { playlist: 0, part: 0, segment: 0, manifest: 0 };
    for (const entry of performance.getEntriesByType('resource')) {
      const path = entry.name.split('?')[0]!;
      if (path.endsWith('.m3u8')) out.playlist++;
      else if (/\/part_\d+_\d+\.m4s$/.test(path)) out.part++;
      else if (/\/seg_\d+\.m4s$/.test(path)) out.segment++;
      else if (path.endsWith('/integrity.json')) out.manifest++;
    }
    return out;
  });
}

async function partsLoaded(viewer: Viewer): Promise<number> {
  return viewer.page.evaluate(
    () =>
      performance
        .getEntriesByType('resource')
        .filter((entry) => /\/part_\d+_\d+\.m4s$/.test(entry.name)).length,
  );
}

/** The page's integrity manifest fetches so far (the edge allows resource timing). */
async function manifestTraffic(viewer: Viewer): Promise<ManifestTraffic> {
  return viewer.page.evaluate(() => {
    const out = { requests: 0, bytes: 0, blockingRequests: 0, blockingBytes: 0 };
    // No DOM types here: the fields resource timing gives for a fetched resource.
    const entries = performance.getEntriesByType('resource') as unknown as {
      name: string;
      encodedBodySize: number;
    }[];
    for (const entry of entries) {
      if (!/\/integrity\.json(\?|$)/.test(entry.name)) continue;
      out.requests++;
      out.bytes += entry.encodedBodySize;
      if (entry.name.includes('_HLS_msn=')) {
        out.blockingRequests++;
        out.blockingBytes += entry.encodedBodySize;
      }
    }
    return out;
  });
}

export async function runPhase(options: PhaseOptions): Promise<PhaseFigures> {
  const browser = await launchChromium();
  const viewers: Viewer[] = [];
  try {
    const url = `${options.playerUrl}/?id=${options.channelId}&p2p=${options.p2p ? 1 : 0}`;
    for (let i = 0; i < options.viewers; i++) {
      const viewer = await openViewer(browser, url);
      // The default buffer (250 entries) fills within a minute of parts and playlists.
      await viewer.page.evaluate(() => performance.setResourceTimingBufferSize(1_000_000));
      viewers.push(viewer);
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
    const manifestsBefore = await Promise.all(viewers.map(manifestTraffic));
    const requestsBefore = await Promise.all(viewers.map(cdnTraffic));
    const latencies: number[] = [];
    for (let second = 0; second < options.windowSec; second++) {
      await sleep(1000);
      for (const snapshot of await Promise.all(viewers.map((v) => readCoral(v.page)))) {
        if (snapshot.playback.latencySec !== null) latencies.push(snapshot.playback.latencySec);
      }
    }
    const after = await Promise.all(viewers.map((v) => readCoral(v.page)));
    const partsAfter = await Promise.all(viewers.map(partsLoaded));
    const manifestsAfter = await Promise.all(viewers.map(manifestTraffic));
    const requestsAfter = await Promise.all(viewers.map(cdnTraffic));
    const requests = emptyCdnTraffic();
    requestsAfter.forEach((after, i) => {
      for (const key of Object.keys(requests) as (keyof CdnTraffic)[])
        requests[key] += after[key] - requestsBefore[i]![key];
    });
    const manifests = { requests: 0, bytes: 0, blockingRequests: 0, blockingBytes: 0 };
    manifestsAfter.forEach((after, i) => {
      const before = manifestsBefore[i]!;
      for (const key of Object.keys(manifests) as (keyof ManifestTraffic)[])
        manifests[key] += after[key] - before[key];
    });
    const partsPublished = options.partSec > 0 ? options.windowSec / options.partSec : 0;
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
    const kbPerViewer = (bytes: number) => Math.round(bytes / 1000 / options.viewers);
    const partBytes = parts.p2pBytes + parts.httpBytes;
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
      mediaHttpBytes: http,
      manifestRequests: manifests.requests,
      manifestBytes: manifests.bytes,
      manifestBlockingRequests: manifests.blockingRequests,
      manifestBlockingBytes: manifests.blockingBytes,
      manifestRequestsPerPart: partsPublished > 0 ? round(manifests.requests / partsPublished) : 0,
      manifestBytesPerPart: partsPublished > 0 ? Math.round(manifests.bytes / partsPublished) : 0,
      latencySamples: latencies.length,
      mediaKbPerViewer: kbPerViewer(http + p2p),
      partKbPerViewer: kbPerViewer(partBytes),
      segmentKbPerViewer: kbPerViewer(http + p2p - partBytes),
      cdnMediaKbPerViewer: kbPerViewer(http),
      cdnRequestsPerViewer: {
        playlist: round(requests.playlist / options.viewers),
        part: round(requests.part / options.viewers),
        segment: round(requests.segment / options.viewers),
        manifest: round(requests.manifest / options.viewers),
      },
    };
  } finally {
    await browser.close();
  }
}
