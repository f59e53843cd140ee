import type { PlaybackUpdate } from '@coral-cdn/p2p-engine';
import { describe, expect, it } from 'vitest';
import { PlaybackObserver, type PlaybackSink } from '../src/playback-observer.js';
import { FakeClock, FakeMedia } from './support/fakes.js';

function setup(options: { autoplay?: boolean; startupOriginMs?: number } = {}) {
  const clock = new FakeClock();
  const media = new FakeMedia();
  media.autoplay = options.autoplay ?? false;
  const updates: PlaybackUpdate[] = [];
  const stalls: boolean[] = [];
  const startups: number[] = [];
  const sink: PlaybackSink = {
    setPlayback: (u) => updates.push(u),
    reportStall: (s) => stalls.push(s),
    reportStartup: (ms) => startups.push(ms),
  };
  const observer = new PlaybackObserver(
    media,
    clock,
    sink,
    clock.now(),
    options.startupOriginMs ?? null,
  );
  const play = () => {
    media.paused = false;
    media.fire('playing');
  };
  return { clock, media, observer, updates, stalls, startups, play };
}

describe('PlaybackObserver', () => {
  it('start-up runs from attaching, or from the first play request when that came later', () => {
    const a = setup();
    a.clock.advance(300);
    a.play();
    expect(a.startups).toEqual([300]);

    const b = setup();
    b.clock.advance(5_000); // the viewer pressed play after 5 s
    b.media.fire('play');
    b.clock.advance(450);
    b.play();
    expect(b.startups).toEqual([450]);
    expect(b.observer.qoe.startupMs).toBe(450);
  });

  it('autoplay: start-up runs from attaching, not from the play event that comes with the frame', () => {
    const { clock, media, startups, play } = setup({ autoplay: true });
    clock.advance(700);
    media.fire('play'); // the browser starts playing by itself, just before the first frame
    play();
    expect(startups).toEqual([700]);
  });

  it('a given origin (a page playing on load: navigation start) wins over attach and play', () => {
    const { clock, media, startups, play } = setup({ startupOriginMs: 0 });
    clock.advance(400);
    media.fire('play');
    clock.advance(100);
    play();
    // FakeClock reads 1000 at attach: the 1000 ms before count as the page's loading.
    expect(startups).toEqual([1_500]);
  });

  it('waiting before the first frame is start-up, not a stall', () => {
    const { media, observer, stalls, play } = setup();
    media.fire('waiting');
    play();
    expect(stalls).toEqual([]);
    expect(observer.qoe.stalls).toBe(0);
  });

  it('waiting after playback started is a stall until playing resumes; its time is counted', () => {
    const { clock, media, observer, stalls, play, updates } = setup();
    play();
    media.currentTime = 4;
    media.fire('waiting');
    expect(observer.qoe.state).toBe('stalled');
    expect(updates.at(-1)).toEqual({ positionSec: 4, rate: 0 });
    clock.advance(700);
    expect(observer.qoe.stallMs).toBe(700); // an open stall counts
    clock.advance(300);
    play();
    expect(stalls).toEqual([true, false]);
    expect(observer.qoe).toMatchObject({ stalls: 1, stallMs: 1_000, state: 'playing' });
    // A second 'waiting' while already stalled is the same stall.
    media.fire('waiting');
    media.fire('waiting');
    expect(observer.qoe.stalls).toBe(2);
    expect(stalls).toEqual([true, false, true]);
  });

  it('waiting during a seek is not a stall', () => {
    const { media, observer, stalls, play } = setup();
    play();
    media.seeking = true;
    media.fire('seeking');
    media.fire('waiting');
    media.seeking = false;
    media.fire('seeked');
    play();
    expect(stalls).toEqual([]);
    expect(observer.qoe.stalls).toBe(0);
  });

  it('pausing ends a stall; the rate the engine sees is 0 while paused and playbackRate while playing', () => {
    const { media, observer, updates, play } = setup();
    play();
    media.playbackRate = 1.5;
    media.currentTime = 2;
    media.fire('ratechange');
    expect(updates.at(-1)).toEqual({ positionSec: 2, rate: 1.5 });
    media.fire('waiting');
    media.paused = true;
    media.fire('pause');
    expect(observer.qoe.state).toBe('paused');
    expect(updates.at(-1)).toEqual({ positionSec: 2, rate: 0 });
    expect(observer.qoe.stalls).toBe(1);
  });

  it('reports the buffer ahead of the playhead', () => {
    const { media, observer } = setup();
    media.ranges = [
      [0, 10],
      [20, 30],
    ];
    media.currentTime = 4;
    expect(observer.qoe.bufferedAheadSec).toBe(6);
    media.currentTime = 15;
    expect(observer.qoe.bufferedAheadSec).toBe(0);
  });

  it('destroy stops listening and closes an open stall', () => {
    const { clock, media, observer, stalls, play, updates } = setup();
    play();
    media.fire('waiting');
    clock.advance(200);
    observer.destroy();
    observer.destroy();
    expect(stalls).toEqual([true, false]);
    const count = updates.length;
    media.fire('timeupdate');
    expect(updates).toHaveLength(count);
    expect(observer.qoe.stallMs).toBe(200);
  });
});
