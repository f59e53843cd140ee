import { parseArgs } from 'node:util';
import {
  LIVE_SYNC_SEGMENTS,
  REGION_PATTERN,
  RENDITION_PATTERN,
  STREAM_ID_PATTERN,
} from '@coral-cdn/protocol';
import type { LogLevel } from '@coral-cdn/server-kit';
import type { NodePeerMode } from './node-peer.js';

export interface CliOptions {
  originUrl: string;
  streamId: string;
  rendition: string | undefined;
  count: number;
  mode: NodePeerMode;
  uploadKbps: number | undefined;
  durationSec: number | undefined;
  region: string | undefined;
  statsIntervalMs: number;
  joinIntervalMs: number;
  bufferSec: number | undefined;
  liveSyncSegments: number | undefined;
  segmentMemoryMiB: number | undefined;
  p2p: boolean;
  logLevel: LogLevel;
}

export const MAX_PEERS_PER_PROCESS = 1000;

export const usage = `Usage: coral-peer --origin URL --stream ID [options]

Runs headless Coral peers (werift) watching or seeding a stream, and prints their stats as
JSON lines on stdout (logs go to stderr).

  --origin URL             origin base URL (its GET /api/playback/<id> starts each peer)
  --stream ID              video or live channel id
  --rendition NAME         rendition to play, e.g. 240p (default: the lowest bandwidth)
  --count N                peers in this process (default 1, at most ${MAX_PEERS_PER_PROCESS})
  --mode MODE              watch | seed | corrupt (default watch; corrupt is a test mode that
                           flips the bytes of every segment it uploads)
  --upload-kbps K          upload cap per peer, kbit/s (default: the engine's)
  --duration-sec S         stop after S seconds (default: when every watcher has ended a VOD;
                           never for live or seed: stop with SIGINT/SIGTERM)
  --region R               region for the origin's edge choice and tracker matching
  --stats-interval-ms MS   print stats this often (default 5000; 0: only the final summary)
  --join-interval-ms MS    start the peers this far apart (default 0)
  --buffer-sec S           watchers' buffer target, seconds (hls.js maxBufferLength; default 30)
  --live-sync-segments N   live watchers start N (${LIVE_SYNC_SEGMENTS.min}-${LIVE_SYNC_SEGMENTS.max}) segments behind the live edge (hls.js
                           liveSyncDurationCount; default ${LIVE_SYNC_SEGMENTS.default})
  --segment-memory-mib M   segments each peer keeps to play and share, MiB (default: 16 for
                           watch, 96 for seed and corrupt)
  --no-p2p                 CDN only: the baseline (no tracker, no peers)
  --log-level L            debug | info | warn | error | silent (default warn)
  --help                   this text
`;

/** A bad command line: the CLI prints the message on one line and exits 2. */
export class UsageError extends Error {}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
const MODES: readonly NodePeerMode[] = ['watch', 'seed', 'corrupt'];

function number(
  flag: string,
  text: string | undefined,
  check: { integer?: boolean; min: number; max?: number },
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  const ok =
    text.trim() !== '' &&
    Number.isFinite(value) &&
    (!check.integer || Number.isInteger(value)) &&
    value >= check.min &&
    (check.max === undefined || value <= check.max);
  if (!ok) {
    const kind = check.integer ? 'an integer' : 'a number';
    const range = check.max === undefined ? `>= ${check.min}` : `${check.min}..${check.max}`;
    throw new UsageError(`--${flag} must be ${kind} ${range}, got "${text}"`);
  }
  return value;
}

/** Parse argv (without node and the script); `null` means `--help` was asked for. */
export function parseCliArgs(argv: string[]): CliOptions | null {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        origin: { type: 'string' },
        stream: { type: 'string' },
        rendition: { type: 'string' },
        count: { type: 'string' },
        mode: { type: 'string' },
        'upload-kbps': { type: 'string' },
        'duration-sec': { type: 'string' },
        region: { type: 'string' },
        'stats-interval-ms': { type: 'string' },
        'join-interval-ms': { type: 'string' },
        'buffer-sec': { type: 'string' },
        'live-sync-segments': { type: 'string' },
        'segment-memory-mib': { type: 'string' },
        'no-p2p': { type: 'boolean' },
        'log-level': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return null;
  if (values.origin === undefined) throw new UsageError('--origin is required');
  let origin: URL;
  try {
    origin = new URL(values.origin);
  } catch (_error) {
    throw new UsageError(`--origin must be an http(s) URL, got "${values.origin}"`);
  }
  if (origin.protocol !== 'http:' && origin.protocol !== 'https:') {
    throw new UsageError(`--origin must be an http(s) URL, got "${values.origin}"`);
  }
  if (values.stream === undefined) throw new UsageError('--stream is required');
  if (!STREAM_ID_PATTERN.test(values.stream)) {
    throw new UsageError(`--stream must be 1-64 of [A-Za-z0-9_-], got "${values.stream}"`);
  }
  if (values.rendition !== undefined && !RENDITION_PATTERN.test(values.rendition)) {
    throw new UsageError(`--rendition must be 1-32 of [A-Za-z0-9_-], got "${values.rendition}"`);
  }
  if (values.region !== undefined && !REGION_PATTERN.test(values.region)) {
    throw new UsageError(`--region must be 1-32 of [a-z0-9-], got "${values.region}"`);
  }
  const mode = values.mode ?? 'watch';
  if (!MODES.includes(mode as NodePeerMode)) {
    throw new UsageError(`--mode must be one of ${MODES.join(', ')}, got "${mode}"`);
  }
  const logLevel = values['log-level'] ?? 'warn';
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const uploadKbps = number('upload-kbps', values['upload-kbps'], { min: 1, max: 10_000_000 });
  const durationSec = number('duration-sec', values['duration-sec'], { min: 0.1 });
  return {
    originUrl: origin.href.replace(/\/+$/, ''),
    streamId: values.stream,
    rendition: values.rendition,
    count:
      number('count', values.count, { integer: true, min: 1, max: MAX_PEERS_PER_PROCESS }) ?? 1,
    mode: mode as NodePeerMode,
    uploadKbps,
    durationSec,
    region: values.region,
    statsIntervalMs:
      number('stats-interval-ms', values['stats-interval-ms'], { integer: true, min: 0 }) ?? 5000,
    joinIntervalMs:
      number('join-interval-ms', values['join-interval-ms'], { integer: true, min: 0 }) ?? 0,
    bufferSec: number('buffer-sec', values['buffer-sec'], { min: 1, max: 3600 }),
    liveSyncSegments: number('live-sync-segments', values['live-sync-segments'], {
      integer: true,
      min: LIVE_SYNC_SEGMENTS.min,
      max: LIVE_SYNC_SEGMENTS.max,
    }),
    segmentMemoryMiB: number('segment-memory-mib', values['segment-memory-mib'], {
      min: 1,
      max: 65_536,
    }),
    p2p: values['no-p2p'] !== true,
    logLevel: logLevel as LogLevel,
  };
}
