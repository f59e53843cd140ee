/** What the segment records say about where CDN bytes went (browsers only: they record segments). */
import { median } from '../lib/stats.js';
import type { PageFetch, SegmentArrival, ViewerDiagnostics } from './viewers.js';

export interface SegmentSourcing {
  /** Segments some viewer played during the window. */
  segments: number;
  /** How many segments were fetched (in whole or part) from the CDN by 0, 1, 2, … viewers. */
  cdnFetchersHistogram: Record<string, number>;
  /** Σ over segments of viewers that took it from the CDN, per segment (1.0 is the ideal live swarm). */
  meanCdnFetchersPerSegment: number;
  /** Per viewer: segments from the CDN / peers / mixed in the window. */
  perViewer: Array<{ index: number; http: number; p2p: number; mixed: number; fromStore: number }>;
  /**
   * Per segment (sequence order): which viewers took it from where and, for CDN bytes, why
   * (`e` elected, `d` deadline, `u` unsigned, `a` alone, `s` startup, `f` fallback), e.g.
   * `12: h0e p1 p2 m3f h4d`.
   */
  bySequence: string[];
}

/** `h3d`: viewer 3 took the segment from the CDN (`h`), for its deadline (`d`). */
function entryCode(viewer: number, arrival: SegmentArrival): string {
  const source = arrival.source === 'http' ? 'h' : arrival.source === 'p2p' ? 'p' : 'm';
  const reason = arrival.source === 'p2p' || arrival.cdnReason === null ? '' : arrival.cdnReason[0];
  return `${source}${viewer}${reason}`;
}

/**
 * From each viewer's segment records, for segments first seen inside the window: who took each
 * segment from the CDN. In a live swarm at the bound, each segment comes from the CDN once.
 */
export function segmentSourcing(
  viewers: readonly ViewerDiagnostics[],
  window: { from: number; to: number },
): SegmentSourcing {
  const bySequence = new Map<number, Array<{ viewer: number; arrival: SegmentArrival }>>();
  const perViewer = viewers.map((viewer) => ({
    index: viewer.index,
    http: 0,
    p2p: 0,
    mixed: 0,
    fromStore: 0,
  }));
  for (const [slot, viewer] of viewers.entries()) {
    for (const arrival of viewer.segments) {
      if (arrival.seenAtMs < window.from || arrival.seenAtMs > window.to) continue;
      const counts = perViewer[slot]!;
      if (arrival.fromStore) counts.fromStore++;
      if (arrival.source === 'http') counts.http++;
      else if (arrival.source === 'p2p') counts.p2p++;
      else counts.mixed++;
      const list = bySequence.get(arrival.sequence) ?? [];
      list.push({ viewer: viewer.index, arrival });
      bySequence.set(arrival.sequence, list);
    }
  }
  const histogram: Record<string, number> = {};
  let fetchers = 0;
  const lines: string[] = [];
  for (const sequence of [...bySequence.keys()].sort((a, b) => a - b)) {
    const entries = bySequence.get(sequence)!;
    const cdn = entries.filter((e) => e.arrival.source !== 'p2p').length;
    histogram[String(cdn)] = (histogram[String(cdn)] ?? 0) + 1;
    fetchers += cdn;
    lines.push(
      `${sequence}: ${entries
        .sort((a, b) => a.viewer - b.viewer)
        .map((e) => entryCode(e.viewer, e.arrival))
        .join(' ')}`,
    );
  }
  return {
    segments: bySequence.size,
    cdnFetchersHistogram: histogram,
    meanCdnFetchersPerSegment:
      bySequence.size === 0 ? 0 : Math.round((fetchers / bySequence.size) * 100) / 100,
    perViewer,
    bySequence: lines,
  };
}

/** Where a page's start-up went: when each step's HTTP fetch ended, ms since navigation. */
export interface PageStartup {
  index: number;
  playbackInfoMs: number | null;
  mediaPlaylistMs: number | null;
  initSegmentMs: number | null;
  /** The first media segment fetched over HTTP (with P2P on, still the CDN at start-up). */
  firstSegmentMs: number | null;
}

/** The first fetch whose path matches, by start time. */
function firstEnd(fetches: readonly PageFetch[], pattern: RegExp): number | null {
  const match = [...fetches]
    .sort((a, b) => a.startMs - b.startMs)
    .find((fetch) => pattern.test(fetch.path));
  return match ? match.endMs : null;
}

export function pageStartups(viewers: readonly ViewerDiagnostics[]): PageStartup[] {
  return viewers.map((viewer) => ({
    index: viewer.index,
    playbackInfoMs: firstEnd(viewer.pageFetches, /^\/api\/playback\//),
    mediaPlaylistMs: firstEnd(viewer.pageFetches, /^(?!.*\/master\.m3u8$).*\.m3u8$/),
    initSegmentMs: firstEnd(viewer.pageFetches, /\/init[^/]*\.mp4$/),
    firstSegmentMs: firstEnd(viewer.pageFetches, /\/seg_\d+\.m4s$/),
  }));
}

/** Per step, the median over the pages that got that far (null: none did). */
export function medianPageStartup(
  startups: readonly PageStartup[],
): Record<Exclude<keyof PageStartup, 'index'>, number | null> {
  const step = (pick: (startup: PageStartup) => number | null) => {
    const values = startups.map(pick).filter((ms): ms is number => ms !== null);
    return values.length === 0 ? null : Math.round(median(values));
  };
  return {
    playbackInfoMs: step((s) => s.playbackInfoMs),
    mediaPlaylistMs: step((s) => s.mediaPlaylistMs),
    initSegmentMs: step((s) => s.initSegmentMs),
    firstSegmentMs: step((s) => s.firstSegmentMs),
  };
}
