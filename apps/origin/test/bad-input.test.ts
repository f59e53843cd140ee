import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUTH,
  authed,
  TEST_KEY,
  clip,
  listFiles,
  run,
  startTestOrigin,
  upload,
  waitSettled,
  type TestOrigin,
} from './helpers.js';

const temp = makeTempDir('coral-origin-bad-');
const clipsDir = join(temp.path, 'clips');
let origin: TestOrigin;
let good: Buffer;
let fastStart: Buffer;

beforeAll(async () => {
  execFileSync('mkdir', ['-p', clipsDir]);
  const path = clip(clipsDir, 'good.mp4', { durationSec: 2, width: 320, height: 240 });
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-y', '-i', path, '-c', 'copy', '-movflags', '+faststart'],
    join(clipsDir, 'faststart.mp4'),
  ]);
  good = await readFile(path);
  fastStart = await readFile(join(clipsDir, 'faststart.mp4'));
  origin = await startTestOrigin({ MAX_UPLOAD_BYTES: String(good.byteLength + 1000) }, temp);
});

afterAll(async () => {
  await origin?.close();
  temp.remove();
});

async function expectError(response: Response, status: number, code: string): Promise<string> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: string; message: string };
  expect(body.error).toBe(code);
  expect(body.message.length).toBeGreaterThan(5);
  return body.message;
}

describe('bad uploads get a 4xx JSON error naming the problem', () => {
  it('a text file: 422 not a video', async () => {
    const message = await expectError(
      await upload(
        origin.url,
        new Blob(['hello, this is not a video\n'.repeat(50)]),
        {},
        'notes.mp4',
      ),
      422,
      'unreadable_media',
    );
    expect(message).toMatch(/not a video or audio file/);
  });

  it('a zero-byte file: 400 empty', async () => {
    await expectError(await upload(origin.url, new Blob([])), 400, 'empty_upload');
  });

  it('a truncated file: 422, whether its index is at the end or the start', async () => {
    const cut = good.subarray(0, Math.floor(good.byteLength / 2));
    await expectError(await upload(origin.url, new Blob([cut])), 422, 'unreadable_media');
    const cutFastStart = fastStart.subarray(0, Math.floor(fastStart.byteLength / 2));
    const message = await expectError(
      await upload(origin.url, new Blob([cutFastStart])),
      422,
      'truncated_media',
    );
    expect(message).toMatch(/truncated/);
  });

  it('a corrupt file (garbage where the header was): 422', async () => {
    const corrupt = Buffer.from(good);
    corrupt.fill(0x5a, 0, 4096);
    await expectError(await upload(origin.url, new Blob([corrupt])), 422, 'unreadable_media');
  });

  it('a playlist disguised as a video cannot make ffmpeg read other files: 422', async () => {
    // Without the input whitelist ffmpeg would read this playlist and the video it points to.
    const outside = join(clipsDir, 'good.mp4');
    const playlist = `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nfile:${outside}\n#EXT-X-ENDLIST\n`;
    await expectError(
      await upload(origin.url, new Blob([playlist]), {}, 'evil.m3u8'),
      422,
      'unreadable_media',
    );
  });

  it('an oversized upload: 413, announced by Content-Length or streamed', async () => {
    const big = new Uint8Array(good.byteLength + 5000);
    await expectError(await upload(origin.url, new Blob([big])), 413, 'upload_too_large');
    // Far beyond the limit: refused on its Content-Length; with Expect: 100-continue (as curl
    // sends it), before the client sends the body at all.
    const hugePath = join(clipsDir, 'huge.bin');
    await writeFile(hugePath, new Uint8Array(8 * 1024 * 1024));
    await expectError(
      await upload(origin.url, new Blob([await readFile(hugePath)])),
      413,
      'upload_too_large',
    );
    const curl = await run('curl', [
      ...['-sS', '-o', '-', '-w', '\n%{http_code} %{size_upload}'],
      ...[
        '-H',
        'Expect: 100-continue',
        '-H',
        `Authorization: Bearer ${TEST_KEY}`,
        '-F',
        `file=@${hugePath}`,
        `${origin.url}/api/videos`,
      ],
    ]);
    const [answer, statusLine] = curl.stdout.split('\n');
    expect(JSON.parse(answer!)).toMatchObject({ error: 'upload_too_large' });
    expect(statusLine).toMatch(/^413 (\d+)$/);
    expect(Number(statusLine!.split(' ')[1])).toBeLessThan(1024 * 1024);
    const boundary = 'xxcoralxx';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n`;
    const parts = [
      new TextEncoder().encode(head),
      big,
      new TextEncoder().encode(`\r\n--${boundary}--\r\n`),
    ];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = parts.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const streamed = await fetch(`${origin.url}/api/videos`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
      duplex: 'half',
    });
    await expectError(streamed, 413, 'upload_too_large');
  });

  it('a malformed multipart body of any shape: 400, nothing stored, the origin stays up', async () => {
    const boundary = 'XYZ';
    const file = '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n';
    const shapes: Record<string, string> = {
      'ends inside the file part': `${file}hello`,
      'ends inside the part headers': '--XYZ\r\nContent-Disposition: form-da',
      'ends after the part headers': file,
      'ends inside a text field': '--XYZ\r\nContent-Disposition: form-data; name="id"\r\n\r\nab',
      'no boundary at all': 'hello, this is not multipart',
      'a closing boundary only': '--XYZ--\r\n',
      'a file part without a closing boundary': `${file}hello\r\n--XYZ`,
    };
    for (const [shape, body] of Object.entries(shapes)) {
      const response = await fetch(`${origin.url}/api/videos`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': `multipart/form-data; boundary=${boundary}` },
        body,
      });
      expect(response.status, shape).toBe(400);
      const answer = (await response.json()) as { error: string };
      expect(['bad_multipart', 'missing_file', 'empty_upload'], shape).toContain(answer.error);
      expect((await fetch(`${origin.url}/healthz`)).status, shape).toBe(200);
    }
    const uploads = await readdir(join(origin.dataDir, 'uploads')).catch(() => []);
    expect(uploads.filter((name) => name.startsWith('.part-'))).toEqual([]);
  });

  it('a path traversal in the id: 400, in the form or in the URL', async () => {
    await expectError(
      await upload(origin.url, new Blob([good]), { id: '../../escape' }),
      400,
      'bad_id',
    );
    await expectError(await fetch(`${origin.url}/api/videos/..%2F..%2Fescape`), 400, 'bad_id');
    await expectError(
      await fetch(`${origin.url}/api/videos/..%2Fkeys/cancel`, authed({ method: 'POST' })),
      400,
      'bad_id',
    );
    expect(existsSync(join(origin.dataDir, '..', 'escape'))).toBe(false);
    expect(existsSync(join(origin.dataDir, '..', 'escape.src'))).toBe(false);
  });

  it('a taken id: 409; not multipart: 415; no file: 400', async () => {
    const first = await upload(origin.url, new Blob([good]), { id: 'taken' });
    expect(first.status).toBe(202);
    await expectError(await upload(origin.url, new Blob([good]), { id: 'taken' }), 409, 'id_taken');
    await expectError(
      await fetch(`${origin.url}/api/videos`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: '{"file":"x"}',
      }),
      415,
      'not_multipart',
    );
    const form = new FormData();
    form.set('id', 'nofile');
    await expectError(
      await fetch(`${origin.url}/api/videos`, { method: 'POST', body: form, headers: AUTH }),
      400,
      'missing_file',
    );
    expect((await waitSettled(origin.url, 'taken')).status).toBe('ready');
  });

  it('an unknown id: 404 on every route', async () => {
    await expectError(await fetch(`${origin.url}/api/videos/ghost`), 404, 'unknown_id');
    await expectError(
      await fetch(`${origin.url}/api/videos/ghost/cancel`, authed({ method: 'POST' })),
      404,
      'unknown_id',
    );
    await expectError(
      await fetch(`${origin.url}/api/videos/ghost`, authed({ method: 'DELETE' })),
      404,
      'unknown_id',
    );
    await expectError(await fetch(`${origin.url}/api/live/ghost`), 404, 'unknown_id');
    await expectError(await fetch(`${origin.url}/api/playback/ghost`), 404, 'unknown_id');
  });

  it('a file name with a path in it is never used as a path', async () => {
    const response = await upload(
      origin.url,
      new Blob([good]),
      { id: 'named' },
      '../../../evil.mp4',
    );
    expect(response.status).toBe(202);
    expect((await waitSettled(origin.url, 'named')).status).toBe('ready');
    expect(existsSync(join(origin.dataDir, '..', 'evil.mp4'))).toBe(false);
  });
});

describe('bad live channel requests', () => {
  it('refuse a file source outside the sources folder, a missing one, and bad bodies', async () => {
    const post = (body: string) =>
      fetch(`${origin.url}/api/live`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body,
      });
    await expectError(
      await post('{"source":{"type":"file","path":"../../keys/integrity.pem"}}'),
      400,
      'bad_source_path',
    );
    await expectError(
      await post(`{"source":{"type":"file","path":${JSON.stringify(join(clipsDir, 'good.mp4'))}}}`),
      400,
      'bad_source_path',
    );
    await expectError(
      await post('{"source":{"type":"file","path":"missing.mp4"}}'),
      400,
      'source_not_found',
    );
    await expectError(await post('{"source":{"type":"webcam"}}'), 400, 'bad_request');
    await expectError(await post('{"source":'), 400, 'bad_json');
    await expectError(await post('{"id":"../x","source":{"type":"testsrc"}}'), 400, 'bad_id');
    await expectError(await post('{"id":"taken","source":{"type":"testsrc"}}'), 409, 'id_taken');
  });
});

describe('after all of that', () => {
  it('nothing is left of the refused uploads, and nothing was written outside DATA_DIR', async () => {
    expect(await readdir(join(origin.dataDir, 'uploads'))).toEqual([]);
    expect(await readdir(join(origin.dataDir, 'tmp'))).toEqual([]);
    expect((await readdir(join(origin.dataDir, 'vod'))).sort()).toEqual(['named', 'taken']);
    expect(await readdir(join(origin.dataDir, 'live'))).toEqual([]);
    const outside = (await listFiles(temp.path)).filter(
      (file) => !file.startsWith('data/') && !file.startsWith('clips/'),
    );
    expect(outside).toEqual([]);
  });
});
