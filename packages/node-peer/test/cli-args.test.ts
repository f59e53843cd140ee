import { describe, expect, it } from 'vitest';
import { parseCliArgs, UsageError } from '../src/cli-args.js';

describe('parseCliArgs', () => {
  it('maps every flag, with defaults for the rest', () => {
    expect(parseCliArgs(['--origin', 'http://127.0.0.1:8080/', '--stream', 'demo'])).toEqual({
      originUrl: 'http://127.0.0.1:8080',
      streamId: 'demo',
      rendition: undefined,
      count: 1,
      mode: 'watch',
      uploadKbps: undefined,
      durationSec: undefined,
      region: undefined,
      statsIntervalMs: 5000,
      joinIntervalMs: 0,
      bufferSec: undefined,
      liveSyncSegments: undefined,
      segmentMemoryMiB: undefined,
      p2p: true,
      logLevel: 'warn',
    });
    const all = parseCliArgs([
      ...['--origin', 'https://origin.example/base', '--stream', 'live_1', '--rendition', '720p'],
      ...['--count', '40', '--mode', 'seed', '--upload-kbps', '2500', '--duration-sec', '90.5'],
      ...['--region', 'eu-west', '--stats-interval-ms', '0', '--join-interval-ms', '250'],
      ...['--buffer-sec', '6', '--segment-memory-mib', '8', '--no-p2p', '--log-level', 'debug'],
      ...['--live-sync-segments', '5'],
    ]);
    expect(all).toMatchObject({
      originUrl: 'https://origin.example/base',
      rendition: '720p',
      count: 40,
      mode: 'seed',
      uploadKbps: 2500,
      durationSec: 90.5,
      region: 'eu-west',
      statsIntervalMs: 0,
      joinIntervalMs: 250,
      bufferSec: 6,
      liveSyncSegments: 5,
      segmentMemoryMiB: 8,
      p2p: false,
      logLevel: 'debug',
    });
  });

  it('answers --help with null and rejects what does not parse', () => {
    expect(parseCliArgs(['--help'])).toBeNull();
    const bad = [
      ['--origin', 'http://x', '--stream', 'a', '--count', '1.5'],
      ['--origin', 'http://x', '--stream', 'a', '--count', '1001'],
      ['--origin', 'http://x', '--stream', 'a', '--duration-sec', '0'],
      ['--origin', 'http://x', '--stream', 'a', '--upload-kbps', '0'],
      ['--origin', 'http://x', '--stream', 'a', '--stats-interval-ms', ''],
      ['--origin', 'http://x', '--stream', 'a', '--log-level', 'loud'],
      ['--origin', 'http://x', '--stream', 'a', '--live-sync-segments', '0'],
      ['--origin', 'http://x', '--stream', 'a', '--live-sync-segments', '2.5'],
      ['--origin', 'http://x', '--stream', 'a', '--live-sync-segments', '11'],
      ['--origin', 'not a url', '--stream', 'a'],
      ['--origin', 'http://x', '--stream', 'a', 'extra'],
    ];
    for (const args of bad) expect(() => parseCliArgs(args), args.join(' ')).toThrow(UsageError);
  });
});
