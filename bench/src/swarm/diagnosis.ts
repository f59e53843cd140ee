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
  /**
   * Per viewer: segments from the CDN / peers / mixed in the window, and the median of its
   * live latency at those deliveries (s; null: not recorded, or VOD).
   */
  perViewer: Array<{
    index: number;
    http: number;
    p2p: number;
    mixed: number;
    fromStore: number;
    latencySecMedian: number | null;
  }>;
  /**
   * The CDN fetches a swarm at the bound would not make (`deadline`, `unsigned`, `fallback`),
   * each with the viewer's margin then: which viewers miss, and how close they came to a stall.
   */
  misses: CdnMiss[];
  /**
   * Per segment (sequence order): which viewers took it from where and, for CDN bytes, why
   * (`e` elected, `d` deadline, `u` unsigned, `a` alone, `s` startup, `f` fallback), e.g.
   * `12: h0e p1 p2 m3f h4d`.
   */
  bySequence: string[];
}

/** One CDN fetch that was not the elected (or start-up, or lone) viewer's. */
export interface CdnMiss {
  sequence: number;
  viewer: number;
  reason: MissReason;
  /** Media the viewer had buffered ahead when it got the segment, s. */
  bufferedAheadSec: number | null;
  /** Its live latency then, s. */
  latencySec: number | null;
  /** ms after the swarm's first delivery of that segment (null: times not recorded). */
  afterFirstDeliveryMs: number | null;
}

/** CDN reasons a swarm at the bound would not have: the elected fetcher's copy came too late. */
const MISS_REASONS = ['deadline', 'unsigned', 'fallback'] as const;
type MissReason = (typeof MISS_REASONS)[number];

function isMissReason(reason: string | null): reason is MissReason {
  return (MISS_REASONS as readonly string[]).includes(reason ?? '');
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
    latencySecMedian: null as number | null,
  }));
  for (const [slot, viewer] of viewers.entries()) {
    const latencies: number[] = [];
    for (const arrival of viewer.segments) {
      if (arrival.seenAtMs < window.from || arrival.seenAtMs > window.to) continue;
      const counts = perViewer[slot]!;
      if (arrival.latencySec !== null) latencies.push(arrival.latencySec);
      if (arrival.fromStore) counts.fromStore++;
      if (arrival.source === 'http') counts.http++;
      else if (arrival.source === 'p2p') counts.p2p++;
      else counts.mixed++;
      const list = bySequence.get(arrival.sequence) ?? [];
      list.push({ viewer: viewer.index, arrival });
      bySequence.set(arrival.sequence, list);
    }
    if (latencies.length > 0)
      perViewer[slot]!.latencySecMedian = Math.round(median(latencies) * 100) / 100;
  }
  const histogram: Record<string, number> = {};
  let fetchers = 0;
  const lines: string[] = [];
  const misses: CdnMiss[] = [];
  for (const sequence of [...bySequence.keys()].sort((a, b) => a - b)) {
    const entries = bySequence.get(sequence)!;
    const deliveries = entries
      .map((e) => e.arrival.deliveredAtMs)
      .filter((ms): ms is number => ms !== null);
    const firstDeliveryMs = deliveries.length > 0 ? Math.min(...deliveries) : null;
    for (const { viewer, arrival } of entries) {
      const reason = arrival.cdnReason;
      if (arrival.source === 'p2p' || !isMissReason(reason)) continue;
      misses.push({
        sequence,
        viewer,
        reason,
        bufferedAheadSec: arrival.bufferedAheadSec,
        latencySec: arrival.latencySec,
        afterFirstDeliveryMs:
          arrival.deliveredAtMs === null || firstDeliveryMs === null
            ? null
            : arrival.deliveredAtMs - firstDeliveryMs,
      });
    }
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
    misses: misses.sort((a, b) => a.viewer - b.viewer || a.sequence - b.sequence),
    bySequence: lines,
  };
}

/** Where a page's start-up went: when each step's HTTP fetch ended, ms since navigation. */
export interface PageStartup {
  index: number;
  /**
   * From the player script's last byte to the page's first request (`/config.json`): the main
   * thread evaluating the same bundle in both modes, so this measures how much CPU the page got.
   */
  scriptRunMs: number | null;
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

/** The first fetch whose path matches, by start time: when it started. */
function firstStart(fetches: readonly PageFetch[], pattern: RegExp): number | null {
  const starts = fetches.filter((fetch) => pattern.test(fetch.path)).map((fetch) => fetch.startMs);
  return starts.length === 0 ? null : Math.min(...starts);
}

export function pageStartups(viewers: readonly ViewerDiagnostics[]): PageStartup[] {
  return viewers.map((viewer) => {
    const fetches = viewer.pageFetches;
    const scriptEndMs = firstEnd(fetches, /^\/assets\/index-[^/]*\.js$/);
    const configStartMs = firstStart(fetches, /^\/config\.json$/);
    return {
      index: viewer.index,
      scriptRunMs:
        scriptEndMs === null || configStartMs === null ? null : configStartMs - scriptEndMs,
      playbackInfoMs: firstEnd(fetches, /^\/api\/playback\//),
      mediaPlaylistMs: firstEnd(fetches, /^(?!.*\/master\.m3u8$).*\.m3u8$/),
      initSegmentMs: firstEnd(fetches, /\/init[^/]*\.mp4$/),
      firstSegmentMs: firstEnd(fetches, /\/seg_\d+\.m4s$/),
    };
  });
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
    scriptRunMs: step((s) => s.scriptRunMs),
    playbackInfoMs: step((s) => s.playbackInfoMs),
    mediaPlaylistMs: step((s) => s.mediaPlaylistMs),
    initSegmentMs: step((s) => s.initSegmentMs),
    firstSegmentMs: step((s) => s.firstSegmentMs),
  };
}

/**
 * One line for the log: each viewer's median latency, then its misses, e.g.
 * `v0 6.9 s; v5 5.4 s: 237d (buffer 1.2 s, +820 ms)`.
 */
export function missesLine(sourcing: Pick<SegmentSourcing, 'perViewer' | 'misses'>): string {
  const seconds = (value: number | null) => (value === null ? '-' : `${value.toFixed(1)} s`);
  return sourcing.perViewer
    .map((viewer) => {
      const mine = sourcing.misses.filter((miss) => miss.viewer === viewer.index);
      const head = `v${viewer.index} ${seconds(viewer.latencySecMedian)}`;
      if (mine.length === 0) return head;
      const listed = mine.map((miss) => {
        const after =
          miss.afterFirstDeliveryMs === null ? '' : `, +${miss.afterFirstDeliveryMs} ms`;
        return `${miss.sequence}${miss.reason[0]} (buffer ${seconds(miss.bufferedAheadSec)}${after})`;
      });
      return `${head}: ${listed.join(' ')}`;
    })
    .join('; ');
}
