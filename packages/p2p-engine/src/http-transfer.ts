import type { Download } from './download.js';
import { AbortedError, EngineError } from './errors.js';
import type { Cancelable } from './platform.js';
import type { TransferContext } from './peer-transfer.js';
import type { ThroughputEstimator } from './throughput.js';

/** Counts a response's bytes into the CDN total as they arrive (`loaded` so far), each once. */
function httpByteCounter(stats: TransferContext['stats']): (loadedBytes: number) => void {
  let counted = 0;
  return (loadedBytes) => {
    stats.httpBytes += loadedBytes - counted;
    counted = loadedBytes;
  };
}

/**
 * Fetch the segment from the CDN, or only its remainder after peer bytes (a Range request from
 * the bytes received). A full body, when the CDN ignores the Range, replaces any peer bytes.
 */
export async function fetchFromHttp(
  ctx: TransferContext,
  download: Download,
  httpThroughput: ThroughputEstimator,
): Promise<void> {
  const { platform } = ctx;
  const info = download.info;
  const offset = download.filledBytes;
  const startedAtMs = platform.clock.now();
  const count = httpByteCounter(ctx.stats);
  const request = platform.http.get({
    url: info.url,
    ...(offset > 0 ? { rangeStartBytes: offset } : {}),
    onProgress: (loaded) => {
      count(loaded);
      download.progress(
        offset + loaded,
        ctx.integrity?.known(info.rendition, info.sequence)?.sizeBytes ?? null,
      );
    },
  });
  download.cancelCurrent = request.cancel;
  try {
    const response = await request.promise;
    count(response.bytes.byteLength);
    download.firstByteAtMs ??= response.firstByteAtMs;
    httpThroughput.add(response.bytes.byteLength, platform.clock.now() - startedAtMs);
    if (
      offset > 0 &&
      response.status === 206 &&
      download.sink &&
      offset + response.bytes.byteLength === download.sink.byteLength
    ) {
      download.sink.set(response.bytes, offset);
      download.httpBytes += response.bytes.byteLength;
    } else {
      // A full body (no Range support, or nothing received before): it replaces any peer bytes.
      ctx.discardBytes(download);
      download.sink = response.bytes;
      download.httpBytes = response.bytes.byteLength;
    }
    download.filledBytes = download.sink.byteLength;
  } catch (error) {
    if (download.canceled) throw new AbortedError();
    throw error;
  } finally {
    download.cancelCurrent = null;
  }
}

/**
 * Fetch bytes [fromBytes, toBytes) of the segment from the CDN into the download's sink: its
 * share of a transfer split with a slow peer. Resolves with the byte count; rejects when the
 * CDN does not answer with exactly that range (the caller then takes the rest as a whole).
 * An empty range resolves with 0 without asking the CDN.
 */
export function fetchRangeInto(
  ctx: TransferContext,
  download: Download,
  fromBytes: number,
  toBytes: number,
): Cancelable<number> {
  const { url } = download.info;
  // Nothing left (the peer delivered its whole share before it failed): an empty Range is
  // unsatisfiable (416), which would fail a download that is complete.
  if (fromBytes >= toBytes) return { promise: Promise.resolve(0), cancel: () => undefined };
  const count = httpByteCounter(ctx.stats);
  const request = ctx.platform.http.get({
    url,
    rangeStartBytes: fromBytes,
    rangeEndBytes: toBytes,
    onProgress: count,
  });
  const promise = request.promise.then((response) => {
    count(response.bytes.byteLength);
    const sink = download.sink;
    if (response.status !== 206 || response.bytes.byteLength !== toBytes - fromBytes || !sink) {
      throw new EngineError('network_error', `no bytes ${fromBytes}-${toBytes - 1} of ${url}`);
    }
    sink.set(response.bytes, fromBytes);
    return response.bytes.byteLength;
  });
  return { promise, cancel: request.cancel };
}
