import { describe, expect, it } from 'vitest';
import { Download } from '../src/download.js';
import { EngineError } from '../src/errors.js';
import { fetchRangeInto } from '../src/http-transfer.js';
import type { HttpGetRequest, HttpGetResponse } from '../src/platform.js';
import type { TransferContext } from '../src/peer-transfer.js';

/** The CDN's share of a split transfer: bytes [from, to) of a segment, into the sink. */
function setup(answer: (request: HttpGetRequest) => HttpGetResponse) {
  const requests: HttpGetRequest[] = [];
  const stats = { httpBytes: 0 };
  const ctx = {
    platform: {
      http: {
        get: (request: HttpGetRequest) => {
          requests.push(request);
          return { promise: Promise.resolve(answer(request)), cancel: () => undefined };
        },
      },
    },
    stats,
  } as unknown as TransferContext;
  const download = new Download(
    { rendition: 'r0', sequence: 7, url: 'http://cdn.test/r0/7.ts', startSec: 14, durationSec: 2 },
    'player',
  );
  download.sink = new Uint8Array(1000);
  return { ctx, download, requests, stats };
}

const ranged = (request: HttpGetRequest): HttpGetResponse => ({
  status: 206,
  bytes: new Uint8Array(request.rangeEndBytes! - request.rangeStartBytes!).fill(9),
  firstByteAtMs: 0,
});

describe('the CDN share of a split transfer', () => {
  it('writes exactly the asked range at its offset and counts it as CDN bytes', async () => {
    const { ctx, download, requests, stats } = setup(ranged);
    await expect(fetchRangeInto(ctx, download, 600, 1000).promise).resolves.toBe(400);
    expect(requests).toEqual([
      expect.objectContaining({ rangeStartBytes: 600, rangeEndBytes: 1000 }),
    ]);
    expect(download.sink!.subarray(0, 600).every((b) => b === 0)).toBe(true);
    expect(download.sink!.subarray(600).every((b) => b === 9)).toBe(true);
    expect(stats.httpBytes).toBe(400);
  });

  it('asks nothing when the peer already delivered the whole share (no 416 for an empty range)', async () => {
    const { ctx, download, requests, stats } = setup(ranged);
    await expect(fetchRangeInto(ctx, download, 1000, 1000).promise).resolves.toBe(0);
    expect(requests).toEqual([]);
    expect(stats.httpBytes).toBe(0);
  });

  it('rejects a full body where a range was asked, leaving the sink untouched', async () => {
    const { ctx, download } = setup(() => ({
      status: 200,
      bytes: new Uint8Array(1000).fill(5),
      firstByteAtMs: 0,
    }));
    await expect(fetchRangeInto(ctx, download, 600, 1000).promise).rejects.toBeInstanceOf(
      EngineError,
    );
    expect(download.sink!.every((b) => b === 0)).toBe(true);
  });
});
