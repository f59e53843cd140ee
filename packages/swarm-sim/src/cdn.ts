import {
  AbortedError,
  HttpError,
  type Cancelable,
  type HttpClient,
  type HttpGetRequest,
  type HttpGetResponse,
  type TimerId,
} from '@coral-cdn/p2p-engine';
import type { EventClock } from './event-clock.js';
import type { FlowNetwork, Link } from './flow-network.js';
import type { SimStream } from './stream.js';
import {
  idleRestartMs,
  newTcpState,
  restartedTcpState,
  tcpResponse,
  type TcpState,
} from './tcp-response.js';

/** The CDN's side: its egress link (null: unlimited), first-byte time and what it sent. */
export interface CdnModel {
  readonly egress: Link | null;
  /** Time to first byte beyond the round trip (edge processing, cache hit), ms. */
  readonly firstByteMs: number;
  /** Called for every body chunk the CDN sends (wire bytes), by rendition (null: playlist, manifest). */
  readonly onEgress: (wireBytes: number, rendition: string | null) => void;
}

/** Wire bytes per progress report (about what a browser's progress events give). */
const PROGRESS_WIRE_BYTES = 64 * 1024;

/**
 * One viewer's HTTP path to the CDN: a round trip plus the edge's first-byte time (and one
 * more round trip for the TCP handshake of its first request), then the body as a flow from
 * the CDN's egress to the viewer's downlink (sharing it with the viewer's peer downloads) at
 * the rate TCP gives it (`tcpResponse`: slow start, then the loss cap), reported in chunks;
 * Range requests and cancellation as a browser does them. One connection is modelled (kept
 * alive for the whole session); responses that overlap share its congestion state.
 */
export class SimCdnClient implements HttpClient {
  requests = 0;
  /** Responses whose body is still coming. */
  private inFlight = 0;
  /** When the connection last carried a body's last byte (null: never connected). */
  private idleSinceMs: number | null = null;
  private tcp: TcpState;

  constructor(
    private readonly clock: EventClock,
    private readonly network: FlowNetwork,
    private readonly stream: SimStream,
    private readonly cdn: CdnModel,
    private readonly downlink: Link,
    private readonly rttMs: number,
    private readonly lossRate: number,
  ) {
    this.tcp = newTcpState(lossRate);
  }

  get(request: HttpGetRequest): Cancelable<HttpGetResponse> {
    this.requests++;
    let settled = false;
    let timer: TimerId | null = null;
    let flow: ReturnType<FlowNetwork['openFlow']> | null = null;
    let reject!: (error: Error) => void;
    const connectMs = this.idleSinceMs === null && this.inFlight === 0 ? this.rttMs : 0;
    const finish = (): void => {
      this.inFlight--;
      if (this.inFlight === 0) this.idleSinceMs = this.clock.now();
    };
    this.inFlight++;
    const promise = new Promise<HttpGetResponse>((resolve, rejectPromise) => {
      reject = rejectPromise;
      timer = this.clock.setTimeout(
        () => {
          timer = null;
          const object = this.stream.object(request.url);
          if (!object) {
            settled = true;
            finish();
            rejectPromise(new HttpError(404, request.url));
            return;
          }
          const start = Math.min(request.rangeStartBytes ?? 0, object.bytes.byteLength);
          const body = object.bytes.subarray(
            start,
            request.rangeEndBytes ?? object.bytes.byteLength,
          );
          const firstByteAtMs = this.clock.now();
          const scale = object.wireBytes / Math.max(1, object.bytes.byteLength);
          const wireTotal = body.byteLength * scale;
          if (wireTotal === 0) {
            settled = true;
            finish();
            resolve({ status: 206, bytes: new Uint8Array(0), firstByteAtMs });
            return;
          }
          if (
            this.inFlight === 1 &&
            this.idleSinceMs !== null &&
            firstByteAtMs - this.idleSinceMs >= idleRestartMs(this.rttMs)
          )
            this.tcp = restartedTcpState(this.tcp, this.lossRate);
          const { bodyMs, after } = tcpResponse(this.tcp, wireTotal, this.rttMs, this.lossRate);
          this.tcp = after;
          flow = this.network.openFlow(
            this.cdn.egress,
            this.downlink,
            bodyMs > 0 ? (wireTotal / bodyMs) * 1000 : Infinity,
          );
          const chunks = Math.max(1, Math.ceil(wireTotal / PROGRESS_WIRE_BYTES));
          for (let i = 1; i <= chunks; i++) {
            const wireBytes = Math.min(
              PROGRESS_WIRE_BYTES,
              wireTotal - (i - 1) * PROGRESS_WIRE_BYTES,
            );
            const loaded =
              i === chunks ? body.byteLength : Math.floor((i * PROGRESS_WIRE_BYTES) / scale);
            this.network.send(flow, wireBytes, () => {
              this.cdn.onEgress(wireBytes, object.rendition);
              request.onProgress?.(loaded);
              if (i === chunks) {
                settled = true;
                finish();
                const ranged = body.byteLength < object.bytes.byteLength;
                resolve({ status: ranged ? 206 : 200, bytes: body, firstByteAtMs });
              }
            });
          }
        },
        connectMs + this.rttMs + this.cdn.firstByteMs,
      );
    });
    return {
      promise,
      cancel: () => {
        if (settled) return;
        settled = true;
        finish();
        if (timer !== null) this.clock.clearTimeout(timer);
        if (flow) this.network.close(flow);
        reject(new AbortedError('http canceled'));
      },
    };
  }
}
