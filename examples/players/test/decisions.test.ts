import { describe, expect, it } from 'vitest';
import { choosePlaybackMode, type MediaCapabilities } from '../src/playback-mode.js';
import { readParams } from '../src/stream.js';

const none: MediaCapabilities = {
  hlsJsSupported: false,
  mediaSource: false,
  managedMediaSource: false,
  nativeHls: false,
};

describe('choosePlaybackMode', () => {
  it('prefers hls.js (and so Coral) over native HLS, ManagedMediaSource over MSE', () => {
    const desktopSafari = {
      hlsJsSupported: true,
      mediaSource: true,
      managedMediaSource: true,
      nativeHls: true,
    };
    expect(choosePlaybackMode(desktopSafari)).toBe('mms');
    expect(choosePlaybackMode({ ...desktopSafari, managedMediaSource: false })).toBe('mse');
    expect(choosePlaybackMode({ ...none, hlsJsSupported: true, managedMediaSource: true })).toBe(
      'mms',
    );
  });

  it('falls back to native HLS, then to nothing, when hls.js cannot run', () => {
    expect(choosePlaybackMode({ ...none, nativeHls: true })).toBe('native');
    // MSE present but no codec hls.js accepts: hls.js cannot run.
    expect(choosePlaybackMode({ ...none, mediaSource: true, nativeHls: true })).toBe('native');
    expect(choosePlaybackMode(none)).toBe('none');
  });
});

describe('readParams', () => {
  it('reads origin, stream and P2P, defaulting to the page origin and P2P on', () => {
    expect(readParams('?origin=http://127.0.0.1:8080/&id=demo', 'http://x')).toEqual({
      originUrl: 'http://127.0.0.1:8080',
      streamId: 'demo',
      p2p: true,
    });
    expect(readParams('?id=a_b-1&p2p=0', 'https://page.example')).toEqual({
      originUrl: 'https://page.example',
      streamId: 'a_b-1',
      p2p: false,
    });
  });

  it('refuses a bad origin or stream id with a message naming it', () => {
    expect(() => readParams('?origin=javascript:alert(1)&id=a', 'http://x')).toThrow(
      /origin “javascript:alert\(1\)”/,
    );
    expect(() => readParams('?id=../etc', 'http://x')).toThrow(/stream id “..\/etc” is not valid/);
    expect(() => readParams('', 'http://x')).toThrow(/stream id “” is not valid/);
  });
});
