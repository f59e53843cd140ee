import {
  AbortedError,
  HttpError,
  type Cancelable,
  type HttpClient,
  type HttpGetRequest,
  type HttpGetResponse,
  type TimerId,
} from '../../src/index.js';
import type { FakeClock } from './fake-clock.js';

export interface CdnRequest {
  url: string;
  rangeStartBytes: number | undefined;
  rangeEndBytes: number | undefined;
  atMs: number;
  /** Bytes the CDN sent (0 if canceled before the body). */
  sentBytes: number;
  canceled: boolean;
}

/** Content by URL: bytes, or undefined for a 404. Called per request, so content can change. */
export type CdnContent = (url: string) => Uint8Array | undefined;

/**
 * One viewer's path to the CDN on the fake clock: a first-byte latency, then the body at a
 * fixed rate in steps (16 KiB unless set), with Range support, cancellation and injectable failures.
 */
export class FakeCdn implements HttpClient {
  readonly requests: CdnRequest[] = [];
  /** URLs (or prefixes) that answer 503. */
  readonly failing = new Set<string>();
  /** The body moves in steps of this many bytes (each a timer on the fake clock). */
  stepBytes = 16 * 1024;

  constructor(
    private readonly clock: FakeClock,
    private readonly content: CdnContent,
    public latencyMs = 40,
    public bytesPerSec = 4 * 1024 * 1024,
  ) {}

  get sentBytes(): number {
    return this.requests.reduce((sum, request) => sum + request.sentBytes, 0);
  }

  segmentRequests(): CdnRequest[] {
    return this.requests.filter((request) => request.url.endsWith('.m4s'));
  }

  /** Requests for an integrity manifest (`integrity.json` beside a media playlist). */
  manifestRequests(): CdnRequest[] {
    return this.requests.filter((request) => request.url.endsWith('/integrity.json'));
  }

  get(request: HttpGetRequest): Cancelable<HttpGetResponse> {
    const record: CdnRequest = {
      url: request.url,
      rangeStartBytes: request.rangeStartBytes,
      rangeEndBytes: request.rangeEndBytes,
      atMs: this.clock.now(),
      sentBytes: 0,
      canceled: false,
    };
    this.requests.push(record);
    const timers: TimerId[] = [];
    let settled = false;
    let reject!: (error: Error) => void;
    const promise = new Promise<HttpGetResponse>((resolve, rejectPromise) => {
      reject = rejectPromise;
      timers.push(
        this.clock.setTimeout(() => {
          if ([...this.failing].some((prefix) => request.url.startsWith(prefix))) {
            settled = true;
            rejectPromise(new HttpError(503, request.url));
            return;
          }
          const body = this.content(request.url);
          if (!body) {
            settled = true;
            rejectPromise(new HttpError(404, request.url));
            return;
          }
          const start = request.rangeStartBytes ?? 0;
          const slice = body.subarray(start, request.rangeEndBytes ?? body.byteLength);
          const firstByteAtMs = this.clock.now();
          const step = this.stepBytes;
          const stepMs = (step * 1000) / this.bytesPerSec;
          let sent = 0;
          const pump = () => {
            sent = Math.min(slice.byteLength, sent + step);
            record.sentBytes = sent;
            request.onProgress?.(sent);
            if (sent >= slice.byteLength) {
              settled = true;
              const ranged = start > 0 || slice.byteLength < body.byteLength;
              resolve({ status: ranged ? 206 : 200, bytes: slice.slice(), firstByteAtMs });
              return;
            }
            timers.push(this.clock.setTimeout(pump, stepMs));
          };
          if (slice.byteLength === 0) {
            settled = true;
            resolve({ status: 206, bytes: new Uint8Array(0), firstByteAtMs });
          } else timers.push(this.clock.setTimeout(pump, stepMs));
        }, this.latencyMs),
      );
    });
    return {
      promise,
      cancel: () => {
        if (settled) return;
        settled = true;
        record.canceled = true;
        for (const timer of timers) this.clock.clearTimeout(timer);
        reject(new AbortedError('http canceled'));
      },
    };
  }
}
