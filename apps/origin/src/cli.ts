#!/usr/bin/env node
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig } from '@coral-cdn/server-kit';
import { ProgressBar, formatBytes } from './cli/progress-bar.js';
import { uploadVideo } from './cli/upload.js';
import { originConfigSchema } from './config.js';
import { resolveFfmpeg } from './ffmpeg/binaries.js';
import { probeFile } from './ffmpeg/probe.js';
import { planVodCommand } from './packaging/command.js';

const USAGE = `coral-origin: Coral origin tools

  coral-origin ingest <file> [--origin URL] [--key KEY] [--id ID] [--title TEXT]
      Upload a video to an origin (default $CORAL_ORIGIN_URL or http://127.0.0.1:8080),
      then follow its packaging; exits 0 when it is ready, 1 when it failed. KEY is an
      operator API key with the videos:write scope (default $CORAL_API_KEY).

  coral-origin plan <file> [--out DIR] [--json]
      Print the ffmpeg command the origin runs for this file (ladder from LADDER,
      X264_PRESET, SEGMENT_DURATION_SEC; ffmpeg from FFMPEG_PATH / PATH).

The server itself: node dist/main.js (npm start -w apps/origin).
`;

interface VideoStatusBody {
  id?: string;
  status?: string;
  progress?: number;
  error?: string;
  message?: string;
  manifestPath?: string;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function ingest(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      origin: { type: 'string' },
      key: { type: 'string' },
      id: { type: 'string' },
      title: { type: 'string' },
    },
  });
  const file = positionals[0];
  if (file === undefined) {
    process.stderr.write(USAGE);
    return 2;
  }
  const originUrl = values.origin ?? process.env.CORAL_ORIGIN_URL ?? 'http://127.0.0.1:8080';
  const key = values.key ?? process.env.CORAL_API_KEY;
  if (key === undefined || key === '') {
    process.stderr.write(
      'coral-origin: an operator API key is needed: --key KEY or CORAL_API_KEY (an origin started without OPERATOR_API_KEYS writes one to DATA_DIR/keys/operator-api-key)\n',
    );
    return 2;
  }
  const bar = new ProgressBar(process.stderr);
  const fields: Record<string, string> = {};
  if (values.id !== undefined) fields.id = values.id;
  if (values.title !== undefined) fields.title = values.title;
  const response = await uploadVideo({
    originUrl,
    apiKey: key,
    path: resolve(file),
    fields,
    onProgress: (sent, total) =>
      bar.update(
        'upload',
        total === 0 ? 1 : sent / total,
        `${formatBytes(sent)} / ${formatBytes(total)}`,
      ),
  });
  bar.finish();
  const created = response.body as VideoStatusBody;
  if (response.status !== 202 || created.id === undefined) {
    process.stderr.write(
      `coral-origin: upload refused (${response.status}): ${created.message ?? JSON.stringify(response.body)}\n`,
    );
    return 1;
  }
  const id = created.id;
  process.stderr.write(`video id: ${id}\n`);
  for (;;) {
    const poll = await fetch(new URL(`/api/videos/${id}`, originUrl));
    const body = (await poll.json()) as VideoStatusBody;
    if (!poll.ok) {
      bar.finish();
      process.stderr.write(`coral-origin: ${body.message ?? poll.status}\n`);
      return 1;
    }
    const status = body.status ?? 'unknown';
    bar.update(status === 'ready' ? 'packaging' : status, body.progress ?? 0);
    if (status === 'ready') {
      bar.finish();
      process.stdout.write(
        `${new URL(body.manifestPath ?? `/vod/${id}/master.m3u8`, originUrl).href}\n`,
      );
      return 0;
    }
    if (status === 'failed' || status === 'cancelled') {
      bar.finish();
      process.stderr.write(
        `coral-origin: packaging ${status}${body.error ? `: ${body.error}` : ''}\n`,
      );
      return 1;
    }
    await sleep(500);
  }
}

async function plan(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: 'string' }, json: { type: 'boolean' } },
  });
  const file = positionals[0];
  if (file === undefined) {
    process.stderr.write(USAGE);
    return 2;
  }
  const config = parseConfig(originConfigSchema, { env: process.env });
  const binaries = await resolveFfmpeg({
    ffmpegPath: config.FFMPEG_PATH,
    ffprobePath: config.FFPROBE_PATH,
    pathEnv: process.env.PATH,
  });
  const sourcePath = resolve(file);
  const media = await probeFile(binaries.ffprobe, sourcePath);
  const command = planVodCommand({
    media,
    sourcePath,
    outDir: resolve(values.out ?? 'out'),
    ladder: config.LADDER,
    x264Preset: config.X264_PRESET,
    segmentSec: config.SEGMENT_DURATION_SEC,
  });
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ ffmpeg: binaries.ffmpeg, args: command.args, renditions: command.renditions, media })}\n`,
    );
  } else {
    const quote = (arg: string) =>
      /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
    process.stdout.write(`${[binaries.ffmpeg, ...command.args].map(quote).join(' ')}\n`);
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'ingest') return await ingest(rest);
    if (command === 'plan') return await plan(rest);
    process.stdout.write(USAGE);
    return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  } catch (error) {
    const message =
      error instanceof ConfigError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`coral-origin: ${message}\n`);
    return error instanceof ConfigError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
