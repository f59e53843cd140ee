import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodePeerFrame, encodeDataFrames, encodePeerFrame } from '@coral-cdn/protocol';
import { makeTempDir, waitFor, type TempDir } from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chooseRendition,
  createDataFrameCorrupter,
  fetchPlaybackInfo,
  NodePeer,
  NodePeerError,
} from '../src/index.js';
import { packageVod, type PackagedStream } from './support/stream.js';
import { startStaticServer, type StaticServer } from './support/static-server.js';

let temp: TempDir;
let stream: PackagedStream;
let cdn: StaticServer;

beforeAll(async () => {
  temp = makeTempDir('coral-node-peer-unit-');
  stream = await packageVod({ root: temp.path, streamId: 'vod2', durationSec: 6 });
  cdn = await startStaticServer(temp.path);
});

afterAll(async () => {
  await cdn?.close();
  temp?.remove();
});

/** An HTTP server answering every request with `status` and `body`: a misbehaving origin. */
async function answering(status: number, body: string): Promise<{ url: string; close(): void }> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => server.close(),
  };
}

async function rejection(promise: Promise<unknown>): Promise<NodePeerError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(NodePeerError);
  return error as NodePeerError;
}

describe('chooseRendition', () => {
  it('picks a rendition by name from the master playlist, or the lowest bandwidth one', async () => {
    const master = `${cdn.url}/vod2/master.m3u8`;
    const named = await chooseRendition(master, '360p');
    expect(named).toMatchObject({
      rendition: '360p',
      playlistUrl: `${cdn.url}/vod2/360p/index.m3u8`,
      available: ['360p', '240p'],
    });
    expect((await chooseRendition(master)).rendition).toBe('240p');
  });

  it('plays a media playlist URL as it is', async () => {
    const media = `${cdn.url}/vod2/240p/index.m3u8`;
    expect(await chooseRendition(media)).toMatchObject({ rendition: '240p', playlistUrl: media });
    const error = await rejection(chooseRendition(media, '360p'));
    expect(error.code).toBe('unknown_rendition');
  });

  it('names what is available when the rendition is unknown', async () => {
    const error = await rejection(chooseRendition(`${cdn.url}/vod2/master.m3u8`, '1080p'));
    expect(error.code).toBe('unknown_rendition');
    expect(error.message).toContain('available: 360p, 240p');
  });

  it('fails clearly on a missing or non-HLS master playlist', async () => {
    const missing = await rejection(chooseRendition(`${cdn.url}/vod2/nope.m3u8`));
    expect(missing.code).toBe('master_playlist');
    expect(missing.message).toContain('404');
    const notHls = await rejection(chooseRendition(`${cdn.url}/vod2/240p/integrity.json`));
    expect(notHls.code).toBe('master_playlist');
    expect(notHls.message).toContain('not an HLS playlist');
  });
});

describe('fetchPlaybackInfo', () => {
  it('rejects an error status, a body that is not JSON, and JSON that is not playback info', async () => {
    const cases: Array<[number, string, string]> = [
      [404, '{"error":"unknown_id"}', 'answered 404'],
      [200, '<html>', 'did not answer JSON'],
      [200, '{"id":"x","kind":"vod"}', 'not playback info'],
    ];
    for (const [status, body, message] of cases) {
      const origin = await answering(status, body);
      try {
        const error = await rejection(fetchPlaybackInfo({ originUrl: origin.url, streamId: 'x' }));
        expect(error.code).toBe('playback_api');
        expect(error.message).toContain(message);
      } finally {
        origin.close();
      }
    }
  });

  it('fails clearly when the origin is unreachable', async () => {
    const origin = await answering(200, '{}');
    origin.close();
    const error = await rejection(fetchPlaybackInfo({ originUrl: origin.url, streamId: 'x' }));
    expect(error.code).toBe('playback_api');
    expect(error.message).toContain('failed');
  });
});

describe('createDataFrameCorrupter', () => {
  it('flips the payload of DATA frames and leaves every other frame and header alone', () => {
    const { transform, counters } = createDataFrameCorrupter();
    const segment = new Uint8Array(100_000).map((_, index) => index & 0xff);
    const frames = [...encodeDataFrames(7, segment, 0, 64 * 1024)];
    const out = frames.map(transform);
    expect(counters).toEqual({ frames: 2, bytes: segment.byteLength });
    let offset = 0;
    for (const frame of out) {
      const decoded = decodePeerFrame(frame);
      if (!decoded.ok || decoded.value.type !== 'data') throw new Error('not a DATA frame');
      expect(decoded.value).toMatchObject({
        requestId: 7,
        offsetBytes: offset,
        totalBytes: 100_000,
      });
      const payload = decoded.value.payload;
      const unflipped = payload.filter((byte, index) => byte !== (segment[offset + index]! ^ 0xff));
      expect(unflipped.length).toBe(0);
      offset += decoded.value.payload.byteLength;
    }
    // The sender's own frames are untouched (the engine may still hold them).
    expect(frames[0]![14]).toBe(segment[0]);
    const handshake = encodePeerFrame({ type: 'handshake', peerId: 'peer-0001', streamId: 's' });
    const done = encodePeerFrame({ type: 'done', requestId: 7, totalBytes: 100_000 });
    expect(transform(handshake)).toBe(handshake);
    expect(transform(done)).toBe(done);
    expect(counters.frames).toBe(2);
  });
});

describe('NodePeer', () => {
  it('fails to start with the reason in its stats; destroy() is idempotent', async () => {
    const origin = await answering(404, '{"error":"unknown_id"}');
    try {
      const peer = new NodePeer({ source: { originUrl: origin.url, streamId: 'nope' } });
      const error = await rejection(peer.start());
      expect(error.code).toBe('playback_api');
      expect(peer.stats()).toMatchObject({ state: 'failed', engine: null });
      expect(peer.stats().error).toContain('404');
      peer.destroy();
      peer.destroy();
      expect(peer.stats().state).toBe('destroyed');
    } finally {
      origin.close();
    }
  });

  it('destroyed while starting: start() settles quietly and nothing keeps running', async () => {
    const peer = new NodePeer({
      source: {
        manifestUrl: `${cdn.url}/vod2/master.m3u8`,
        trackerUrl: 'ws://127.0.0.1:9/ws',
        token: 't',
        publicKey: stream.publicKey,
        swarmId: 'vod2',
      },
    });
    const started = peer.start();
    peer.destroy();
    await expect(started).resolves.toBeUndefined();
    expect(peer.stats()).toMatchObject({ state: 'destroyed', engine: null, player: null });
    await expect(peer.start()).rejects.toThrow(/destroyed/);
  });

  it('plays from the CDN alone with P2P off (the baseline): no tracker, no peer bytes', async () => {
    const peer = new NodePeer({
      source: {
        manifestUrl: `${cdn.url}/vod2/master.m3u8`,
        trackerUrl: 'ws://127.0.0.1:9/ws',
        token: 't',
        publicKey: stream.publicKey,
        swarmId: 'vod2',
      },
      rendition: '240p',
      engine: { p2pEnabled: false },
    });
    try {
      await peer.start();
      const stats = await waitFor('every segment to load', () => {
        const current = peer.stats();
        return current.player!.segmentsLoaded === stream.segmentBytes['240p']!.length
          ? current
          : null;
      });
      expect(stats.state).toBe('running');
      expect(stats.engine).toMatchObject({
        p2pEnabled: false,
        trackerConnected: false,
        p2pBytes: 0,
      });
      expect(stats.engine!.httpBytes).toBe(stream.segmentBytes['240p']!.reduce((a, b) => a + b));
    } finally {
      peer.destroy();
    }
  });
});
