import Hls from 'hls.js';
import type { LevelDetails } from 'hls.js';
import type { MediaLike } from '../../src/playback-observer.js';

type Handler = (event: string, data: unknown) => void;

/** An hls.js stand-in for event wiring: the real `Events` names, events fired by the test. */
export class FakeHls {
  static readonly Events = Hls.Events;
  levels: Array<{ url: string[]; details?: LevelDetails }> = [];
  media: MediaLike | null = null;
  private readonly handlers = new Map<string, Set<Handler>>();

  on(event: string, handler: Handler): void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler);
  }

  off(event: string, handler: Handler): void {
    this.handlers.get(event)?.delete(handler);
  }

  trigger(event: string, data: unknown): void {
    for (const handler of this.handlers.get(event) ?? []) handler(event, data);
  }

  listenerCount(): number {
    let count = 0;
    for (const set of this.handlers.values()) count += set.size;
    return count;
  }

  asHls(): Hls {
    return this as unknown as Hls;
  }
}

export interface FragSpec {
  sn: number;
  start: number;
  duration?: number;
  byteRangeStartOffset?: number;
  gap?: boolean;
  /** No URI yet: hls.js's Fragment.url is then '' (an LL segment still being published). */
  noUrl?: boolean;
}

/** Level details as hls.js builds them from a media playlist. */
export function levelDetails(url: string, frags: FragSpec[], live = false): LevelDetails {
  const base = url.slice(0, url.lastIndexOf('/') + 1);
  return {
    url,
    live,
    fragments: frags.map((f) => ({
      sn: f.sn,
      start: f.start,
      duration: f.duration ?? 2,
      url: f.noUrl ? '' : `${base}seg${f.sn}.m4s`,
      byteRangeStartOffset: f.byteRangeStartOffset,
      gap: f.gap,
    })),
  } as unknown as LevelDetails;
}
