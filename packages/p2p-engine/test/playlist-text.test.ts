import { afterEach, describe, expect, it, vi } from 'vitest';
import { EngineError } from '../src/errors.js';
import { parseMediaPlaylist } from '../src/m3u8.js';
import { playlistText, standardUtf8Decode } from '../src/text.js';

/**
 * How the live playlist poll reads a playlist body (`playlistText`): complete lines only,
 * UTF-8 through the platform's strict decoder, and the whole body however large, since a live
 * playlist's newest entries are at its end.
 */

const encode = (text: string) => new TextEncoder().encode(text);
const decode = standardUtf8Decode();

/** A live playlist of `count` segments from `firstSequence`, each line ending in a line feed. */
function livePlaylist(firstSequence: number, count: number, name = (n: number) => `seg-${n}.m4s`) {
  let text = `#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:${firstSequence}\n`;
  for (let n = firstSequence; n < firstSequence + count; n++) {
    text += `#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z\n#EXTINF:2.000,\n${name(n)}\n`;
  }
  return text;
}

function parsed(bytes: Uint8Array) {
  const playlist = parseMediaPlaylist(playlistText(bytes, decode));
  if (!playlist) throw new Error('not a media playlist');
  return playlist;
}

describe('playlistText: complete lines only', () => {
  it('leaves out a last line with no line feed, so a cut-off URI is never taken as a segment', () => {
    const whole = livePlaylist(100, 3);
    // The body ends inside the URI of a fourth segment: "seg-1" of "seg-103.m4s".
    const cut = `${whole}#EXTINF:2.000,\nseg-1`;
    expect(playlistText(encode(cut), decode)).toBe(`${whole}#EXTINF:2.000,\n`);
    expect(parsed(encode(cut)).segments.map((s) => s.uri)).toEqual([
      'seg-100.m4s',
      'seg-101.m4s',
      'seg-102.m4s',
    ]);
  });

  it('keeps a body that ends with its line feed whole', () => {
    const whole = livePlaylist(100, 3);
    expect(playlistText(encode(whole), decode)).toBe(whole);
  });

  it('gives nothing for a body without a single complete line', () => {
    expect(playlistText(encode('#EXTM3U'), decode)).toBe('');
  });
});

describe('playlistText: UTF-8', () => {
  it('decodes a non-ASCII segment name as UTF-8, not byte by byte', () => {
    const name = (n: number) => `séquence-ü-雪-${n}.m4s`;
    const body = encode(livePlaylist(7, 2, name));
    expect(parsed(body).segments.map((s) => s.uri)).toEqual([name(7), name(8)]);
  });

  it('refuses a body that is not valid UTF-8 with an http_error, not a misread name', () => {
    // "seg-\xC3(.m4s": a two-byte lead followed by an ASCII byte is malformed.
    const head = encode(`${livePlaylist(1, 1)}#EXTINF:2.000,\nseg-`);
    const body = new Uint8Array([...head, 0xc3, 0x28, ...encode('.m4s\n')]);
    let thrown: unknown;
    try {
      playlistText(body, decode);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EngineError);
    expect(thrown).toMatchObject({ code: 'http_error', message: 'playlist is not valid UTF-8' });
  });

  it('decodes through the platform decoder it is given', () => {
    const platformDecode = vi.fn((bytes: Uint8Array) => `#EXTM3U\n${bytes.length}\n`);
    expect(playlistText(encode('anything'), platformDecode)).toBe('#EXTM3U\n8\n');
    expect(platformDecode).toHaveBeenCalledTimes(1);
  });
});

describe('standardUtf8Decode', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('asks for a platform decoder when the runtime has no TextDecoder', () => {
    vi.stubGlobal('TextDecoder', undefined);
    expect(() => standardUtf8Decode()).toThrowError(
      expect.objectContaining({ code: 'config' }) as Error,
    );
  });
});

describe('playlistText: a large live playlist', () => {
  it('reads a 1 MB playlist whole: its newest entries, past the first 256 KiB, are kept', () => {
    // About 13,000 segments of ~80 bytes each: past 1 MB, four times the old 256 KiB cut.
    const count = 13_000;
    const body = encode(livePlaylist(5000, count, (n) => `chunk-stream-0-${n}.m4s`));
    expect(body.length).toBeGreaterThan(1024 * 1024);
    const playlist = parsed(body);
    expect(playlist.segments).toHaveLength(count);
    expect(playlist.segments.at(-1)).toEqual({
      sequence: 5000 + count - 1,
      uri: `chunk-stream-0-${5000 + count - 1}.m4s`,
      durationSec: 2,
    });
  });
});
