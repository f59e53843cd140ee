// One shape for the overlay's chart and the swarm dashboard's (served by src/swarm-stats.ts).
import type { RatePoint } from '../../src/swarm-stats.js';
import { windowRatesPerSec } from '../../src/window-rate.js';

export type { RatePoint };

const RATE_KEYS = ['httpBytes', 'p2pBytes', 'uploadedBytes'] as const;

/** Counters sampled once a second, and the rates between samples, for the overlay's chart. */
export interface Sample {
  atMs: number;
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  peers: number;
}

export class StatsHistory {
  private readonly samples: Sample[] = [];

  constructor(private readonly capacity: number) {}

  /** Add a sample; counters that went down (a new session) start the history over. */
  push(sample: Sample): void {
    const last = this.samples[this.samples.length - 1];
    if (
      last &&
      (sample.httpBytes < last.httpBytes ||
        sample.p2pBytes < last.p2pBytes ||
        sample.uploadedBytes < last.uploadedBytes ||
        sample.atMs <= last.atMs)
    ) {
      this.samples.length = 0;
    }
    this.samples.push(sample);
    if (this.samples.length > this.capacity)
      this.samples.splice(0, this.samples.length - this.capacity);
  }

  clear(): void {
    this.samples.length = 0;
  }

  get all(): readonly Sample[] {
    return this.samples;
  }

  /** One point per interval between consecutive samples. */
  rates(): RatePoint[] {
    const points: RatePoint[] = [];
    for (let i = 1; i < this.samples.length; i++) {
      const a = this.samples[i - 1]!;
      const b = this.samples[i]!;
      const seconds = (b.atMs - a.atMs) / 1000;
      points.push({
        atMs: b.atMs,
        httpBitsPerSec: ((b.httpBytes - a.httpBytes) * 8) / seconds,
        p2pBitsPerSec: ((b.p2pBytes - a.p2pBytes) * 8) / seconds,
        uploadBitsPerSec: ((b.uploadedBytes - a.uploadedBytes) * 8) / seconds,
        peers: b.peers,
      });
    }
    return points;
  }

  /**
   * Rates over the last `windowMs` up to the newest sample (zeros before two samples exist).
   * Segments arrive in bursts a few seconds apart, so a one-second rate reads 0 between them.
   */
  windowed(windowMs: number): RatePoint {
    const last = this.samples[this.samples.length - 1];
    const rates = last
      ? windowRatesPerSec(
          this.samples.map((sample) => ({ atMs: sample.atMs, values: sample })),
          RATE_KEYS,
          last.atMs,
          windowMs,
        )
      : null;
    return {
      atMs: last?.atMs ?? 0,
      httpBitsPerSec: (rates?.httpBytes ?? 0) * 8,
      p2pBitsPerSec: (rates?.p2pBytes ?? 0) * 8,
      uploadBitsPerSec: (rates?.uploadedBytes ?? 0) * 8,
      peers: last?.peers ?? 0,
    };
  }

  /** The most recent rates (zeros before two samples exist). */
  latest(): RatePoint {
    const points = this.rates();
    return (
      points[points.length - 1] ?? {
        atMs: 0,
        httpBitsPerSec: 0,
        p2pBitsPerSec: 0,
        uploadBitsPerSec: 0,
        peers: this.samples[this.samples.length - 1]?.peers ?? 0,
      }
    );
  }
}
