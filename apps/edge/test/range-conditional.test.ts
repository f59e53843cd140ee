import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchRaw, startEdge, type RunningEdge } from './support/harness.js';
import { bytes, etagOf, Gate, TestOrigin } from './support/test-origin.js';

let origin: TestOrigin;
let edge: RunningEdge;
const path = '/vod/v1/720p/seg_4.m4s';
const segment = bytes(300_000, 4);
const etag = etagOf(segment);
const immutable = 'public, max-age=31536000, immutable';

beforeEach(async () => {
  origin = await TestOrigin.start();
  edge = await startEdge(origin.url);
  origin.serve(path, segment, { 'cache-control': immutable, 'content-type': 'video/iso.segment' });
});
afterEach(async () => {
  await edge.close();
  await origin.close();
});

const get = (headers: Record<string, string> = {}, method = 'GET') =>
  fetchRaw(`${edge.url}${path}`, { headers, method });

describe('Range', () => {
  it('serves ranges of a cached object: bounded, open-ended, suffix, past the end', async () => {
    await get(); // cache it
    const bounded = await get({ range: 'bytes=100-199' });
    expect(bounded.status).toBe(206);
    expect(bounded.headers['content-range']).toBe(`bytes 100-199/${segment.length}`);
    expect(bounded.headers['content-length']).toBe('100');
    expect(bounded.headers['x-cache']).toBe('HIT');
    expect(bounded.body.equals(segment.subarray(100, 200))).toBe(true);

    const open = await get({ range: 'bytes=299000-' });
    expect(open.status).toBe(206);
    expect(open.body.equals(segment.subarray(299_000))).toBe(true);

    const suffix = await get({ range: 'bytes=-500' });
    expect(suffix.headers['content-range']).toBe(
      `bytes ${segment.length - 500}-${segment.length - 1}/${segment.length}`,
    );
    expect(suffix.body.equals(segment.subarray(segment.length - 500))).toBe(true);

    const clipped = await get({ range: 'bytes=299990-400000' });
    expect(clipped.status).toBe(206);
    expect(clipped.body.equals(segment.subarray(299_990))).toBe(true);

    const past = await get({ range: `bytes=${segment.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${segment.length}`);

    expect(origin.count(path)).toBe(1);
  });

  it('ignores several ranges or a malformed Range and sends the whole object', async () => {
    const multi = await get({ range: 'bytes=0-1,5-6' });
    expect(multi.status).toBe(200);
    expect(multi.body.equals(segment)).toBe(true);
    const malformed = await get({ range: 'lines=1-2' });
    expect(malformed.status).toBe(200);
    expect(malformed.body.length).toBe(segment.length);
  });

  it('honours If-Range only while the validator matches', async () => {
    await get();
    const match = await get({ range: 'bytes=0-9', 'if-range': etag });
    expect(match.status).toBe(206);
    const mismatch = await get({ range: 'bytes=0-9', 'if-range': '"other"' });
    expect(mismatch.status).toBe(200);
    expect(mismatch.body.length).toBe(segment.length);
  });

  it('serves a range of an uncached object while fetching the whole object once', async () => {
    const slowPath = '/vod/v1/720p/seg_5.m4s';
    const body = bytes(400_000, 5);
    const gate = new Gate();
    origin.route(slowPath, async (_req, res) => {
      res.writeHead(200, { 'content-length': String(body.length), 'cache-control': immutable });
      res.write(body.subarray(0, 150_000));
      await gate.opened;
      res.end(body.subarray(150_000));
    });
    // The first range lies wholly in the first part: it completes before the origin does.
    const early = await fetchRaw(`${edge.url}${slowPath}`, {
      headers: { range: 'bytes=1000-1999' },
    });
    expect(early.status).toBe(206);
    expect(early.headers['x-cache']).toBe('MISS');
    expect(early.headers['content-range']).toBe(`bytes 1000-1999/${body.length}`);
    expect(early.body.equals(body.subarray(1000, 2000))).toBe(true);

    const spanning = fetchRaw(`${edge.url}${slowPath}`, {
      headers: { range: 'bytes=100000-299999' },
    });
    gate.open();
    const late = await spanning;
    expect(late.status).toBe(206);
    expect(late.body.equals(body.subarray(100_000, 300_000))).toBe(true);
    expect(origin.count(slowPath)).toBe(1);
    expect(origin.requests[0]!.headers.range).toBeUndefined();
    await edge.settled();
    const hit = await fetchRaw(`${edge.url}${slowPath}`, { headers: { range: 'bytes=-10' } });
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.body.equals(body.subarray(body.length - 10))).toBe(true);
  });

  it('answers 416 on a miss when the range starts past the end', async () => {
    const response = await get({ range: 'bytes=999999-' });
    expect(response.status).toBe(416);
    expect(response.headers['content-range']).toBe(`bytes */${segment.length}`);
  });
});

describe('conditional requests', () => {
  it('answers 304 to a matching If-None-Match, on a miss and on a hit', async () => {
    const miss = await get({ 'if-none-match': etag });
    expect(miss.status).toBe(304);
    expect(miss.body.length).toBe(0);
    expect(miss.headers.etag).toBe(etag);
    expect(miss.headers['x-cache']).toBe('MISS');
    await edge.settled();

    const hit = await get({ 'if-none-match': `"nope", W/${etag}` });
    expect(hit.status).toBe(304);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['cache-control']).toBe(immutable);

    const changed = await get({ 'if-none-match': '"stale"' });
    expect(changed.status).toBe(200);
    expect(changed.body.equals(segment)).toBe(true);
    expect(origin.count(path)).toBe(1);
  });

  it('uses If-Modified-Since when there is no If-None-Match', async () => {
    const lmPath = '/vod/v1/master.m3u8';
    const modified = 'Tue, 01 Sep 2026 10:00:00 GMT';
    origin.serve(lmPath, '#EXTM3U\n', {
      'cache-control': 'max-age=600',
      'last-modified': modified,
    });
    await fetchRaw(`${edge.url}${lmPath}`);
    const same = await fetchRaw(`${edge.url}${lmPath}`, {
      headers: { 'if-modified-since': modified },
    });
    expect(same.status).toBe(304);
    const older = await fetchRaw(`${edge.url}${lmPath}`, {
      headers: { 'if-modified-since': 'Mon, 31 Aug 2026 10:00:00 GMT' },
    });
    expect(older.status).toBe(200);
  });
});

describe('HEAD', () => {
  it('answers HEAD with the headers of GET and no body, on a miss and on a hit', async () => {
    const miss = await get({}, 'HEAD');
    expect(miss.status).toBe(200);
    expect(miss.body.length).toBe(0);
    expect(miss.headers['content-length']).toBe(String(segment.length));
    expect(miss.headers['x-cache']).toBe('MISS');
    // The origin got a GET: the miss fills the cache.
    expect(origin.requests[0]!.method).toBe('GET');
    await edge.settled();
    const hit = await get({}, 'HEAD');
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['content-length']).toBe(String(segment.length));
    expect(hit.headers.etag).toBe(etag);
    expect(hit.body.length).toBe(0);
    expect(origin.count(path)).toBe(1);
  });
});
