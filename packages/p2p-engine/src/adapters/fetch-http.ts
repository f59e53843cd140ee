import { AbortedError, EngineError, HttpError } from '../errors.js';
import type {
  Cancelable,
  Clock,
  HttpClient,
  HttpGetRequest,
  HttpGetResponse,
} from '../platform.js';

/**
 * An HttpClient over the standard `fetch` (browsers, Node >= 18), streaming the body so that
 * progress is reported as bytes arrive. The globals come in as parameters: the engine itself
 * never reaches for them.
 */
export interface FetchResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: { getReader(): FetchReaderLike } | null;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface FetchReaderLike {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(): Promise<void>;
}

export interface AbortControllerLike {
  readonly signal: unknown;
  abort(): void;
}

export type FetchLike = (
  url: string,
  init: { headers: Record<string, string>; signal: never; cache?: 'no-store' },
) => Promise<FetchResponseLike>;

export function createFetchHttpClient(options: {
  fetch: FetchLike;
  clock: Clock;
  createAbortController: () => AbortControllerLike;
}): HttpClient {
  return {
    get(request: HttpGetRequest): Cancelable<HttpGetResponse> {
      const controller = options.createAbortController();
      let canceled = false;
      const run = async (): Promise<HttpGetResponse> => {
        const headers: Record<string, string> = {};
        const start = request.rangeStartBytes ?? 0;
        const end = request.rangeEndBytes === undefined ? '' : String(request.rangeEndBytes - 1);
        if (start > 0 || end !== '') headers.range = `bytes=${start}-${end}`;
        let response: FetchResponseLike;
        try {
          response = await options.fetch(request.url, {
            headers,
            signal: controller.signal as never,
          });
        } catch (error) {
          if (canceled) throw new AbortedError('http canceled');
          throw new EngineError('network_error', `fetch ${request.url} failed`, { cause: error });
        }
        const firstByteAtMs = options.clock.now();
        if (response.status !== 200 && response.status !== 206)
          throw new HttpError(response.status, request.url);
        const lengthHeader = response.headers.get('content-length');
        const expected = lengthHeader === null ? null : Number(lengthHeader);
        if (!response.body) {
          const bytes = new Uint8Array(await response.arrayBuffer());
          request.onProgress?.(bytes.byteLength);
          return { status: response.status, bytes, firstByteAtMs };
        }
        const reader = response.body.getReader();
        const chunks: Uint8Array[] = [];
        let loaded = 0;
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            if (!value || value.byteLength === 0) continue;
            chunks.push(value);
            loaded += value.byteLength;
            request.onProgress?.(loaded);
          }
        } catch (error) {
          if (canceled) throw new AbortedError('http canceled');
          throw new EngineError('network_error', `reading ${request.url} failed`, { cause: error });
        }
        if (expected !== null && Number.isFinite(expected) && loaded !== expected) {
          throw new EngineError(
            'network_error',
            `${request.url}: body ${loaded} bytes, Content-Length ${expected}`,
          );
        }
        const bytes = new Uint8Array(loaded);
        let offset = 0;
        for (const chunk of chunks) {
          bytes.set(chunk, offset);
          offset += chunk.byteLength;
        }
        return { status: response.status, bytes, firstByteAtMs };
      };
      const promise = run();
      return {
        promise,
        cancel: () => {
          if (canceled) return;
          canceled = true;
          controller.abort();
        },
      };
    },
  };
}
