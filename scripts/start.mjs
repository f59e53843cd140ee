#!/usr/bin/env node
// `npm start`: the whole Coral stack on embedded defaults, natively, mirroring
// infra/docker-compose.yml: origin, two edges (two regions), the tracker (two nodes sharing
// Redis when REDIS_URL is set), the player, coturn (STUN; TURN for peers with
// CORAL_TURN_FOR_PEERS=true). Packages a demo stream on first run from a clip
// that ffmpeg generates. One line per service with its URL; Ctrl-C / SIGTERM stops them all.
//
// Signals: the root `npm start` script `exec`s this file, so npm's forwarded SIGTERM/SIGINT
// reaches it; every service runs in its own process group, so a terminal's Ctrl-C (sent to the
// whole foreground group) does not hit them too: each gets exactly one SIGTERM, from here.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  openAsBlob,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isListening, portOwner } from './port-owner.mjs';
import { host, ports, stackServices, url } from './topology.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = resolve(process.env.CORAL_DATA_DIR ?? join(root, '.coral-data'));
const logDir = join(dataDir, 'logs');
const redisUrl = process.env.REDIS_URL;
const verbose = process.env.CORAL_VERBOSE === '1';

// coturn: STUN for every viewer; TURN (REST-API shared secret) handed to viewers for peer
// traffic only with CORAL_TURN_FOR_PEERS=true, since a relay moves CDN bytes onto the
// operator's own TURN bandwidth.
const turnserver = process.env.TURNSERVER_PATH ?? 'turnserver';
const hasCoturn = !spawnSync(turnserver, ['--version'], { stdio: 'ignore' }).error;
const turnForPeers = process.env.CORAL_TURN_FOR_PEERS === 'true';
function turnSecret() {
  if (process.env.CORAL_TURN_SECRET) return process.env.CORAL_TURN_SECRET;
  const path = join(dataDir, 'turn-secret');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const secret = randomBytes(24).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** The topology; an app that is not built yet is skipped. */
const services = stackServices({
  dataDir,
  redisUrl,
  coturn: hasCoturn ? { command: turnserver, secret: turnSecret(), turnForPeers } : null,
});

const children = new Map();
let stopping = false;

function entryPoint(app) {
  return join(root, 'apps', app, 'dist', 'main.js');
}

function isAvailable(service) {
  return service.command !== undefined || existsSync(entryPoint(service.app));
}

/** Resolves when a STUN Binding request to host:port gets an answer (coturn is up). */
function stunAnswers(port, timeoutMs = 500) {
  return new Promise((resolveAnswer) => {
    const socket = createSocket('udp4');
    const request = Buffer.alloc(20);
    request.writeUInt16BE(1, 0);
    request.writeUInt32BE(0x2112a442, 4);
    randomBytes(12).copy(request, 8);
    const done = (answered) => {
      clearTimeout(timer);
      socket.close();
      resolveAnswer(answered);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('error', () => done(false));
    socket.on('message', () => done(true));
    socket.send(request, port, host);
  });
}

function startService(service) {
  const logPath = join(logDir, `${service.name}.log`);
  const log = createWriteStream(logPath, { flags: 'a' });
  const [command, args] = service.command
    ? [service.command, service.args]
    : [process.execPath, [entryPoint(service.app)]];
  const child = spawn(command, args, {
    cwd: service.app ? join(root, 'apps', service.app) : dataDir,
    env: {
      ...process.env,
      PORT: String(service.port),
      HOST: host,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      ...service.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a terminal's Ctrl-C reaches this launcher only, which then sends
    // one SIGTERM (two signals make a service skip its clean stop).
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream.pipe(log, { end: false });
    if (verbose) stream.on('data', (chunk) => process.stdout.write(`[${service.name}] ${chunk}`));
  }
  child.on('exit', (code, signal) => {
    children.delete(service.name);
    if (!stopping) {
      process.stderr.write(`coral: ${service.name} exited (${signal ?? code}); see ${logPath}\n`);
      void stopAll(1);
    }
  });
  children.set(service.name, child);
  return logPath;
}

async function waitHealthy(service, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return false;
    if (service.command) {
      if (await stunAnswers(service.port)) return true;
      continue;
    }
    try {
      const response = await fetch(`${url(service.port)}/healthz`);
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  process.stdout.write('coral: stopping…\n');
  const exits = [...children.values()].map(
    (child) => new Promise((resolveExit) => child.once('exit', resolveExit)),
  );
  for (const child of children.values()) child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
  }, 10_000);
  await Promise.all(exits);
  clearTimeout(timer);
  process.exit(exitCode);
}

function progressBar(fraction, width = 30) {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
}

/**
 * The origin's operator key: the first of OPERATOR_API_KEYS (scopes stripped), or the key the
 * origin generated into its data folder when that is unset.
 */
function operatorKey() {
  const configured = process.env.OPERATOR_API_KEYS?.split(',')[0]?.trim().split(':')[0];
  if (configured) return configured;
  return readFileSync(join(dataDir, 'origin', 'keys', 'operator-api-key'), 'utf8').trim();
}

/** On first run: generate a clip with ffmpeg and package it through the origin's upload API. */
async function ensureDemoStreams(key) {
  const auth = { authorization: `Bearer ${key}` };
  const origin = url(ports.origin);
  const existing = await fetch(`${origin}/api/videos/demo`);
  if (existing.status === 404) {
    const clip = join(dataDir, 'demo-source.mp4');
    if (!existsSync(clip)) {
      process.stdout.write('coral: generating a 30 s demo clip with ffmpeg…\n');
      const ffmpeg = process.env.FFMPEG_PATH ?? 'ffmpeg';
      // Not spawnSync: a blocked event loop misses the origin closing the idle keep-alive
      // connection of the request above, and the upload below then fails on that socket.
      const made = await new Promise((resolveRun) =>
        spawn(
          ffmpeg,
          [
            '-hide_banner',
            '-loglevel',
            'error',
            '-y',
            '-f',
            'lavfi',
            '-i',
            'testsrc2=size=1280x720:rate=30',
            '-f',
            'lavfi',
            '-i',
            'sine=frequency=440:sample_rate=48000',
            '-t',
            '30',
            '-c:v',
            'libx264',
            '-preset',
            'ultrafast',
            '-pix_fmt',
            'yuv420p',
            '-c:a',
            'aac',
            '-shortest',
            clip,
          ],
          { stdio: 'inherit' },
        )
          .once('exit', (status) => resolveRun({ status }))
          .once('error', () => resolveRun({ status: -1 })),
      );
      if (made.status !== 0) throw new Error('ffmpeg could not generate the demo clip');
    }
    const form = new FormData();
    form.set('id', 'demo');
    form.set('title', 'Coral demo (test pattern)');
    form.set('file', await openAsBlob(clip), 'demo.mp4');
    const upload = await fetch(`${origin}/api/videos`, {
      method: 'POST',
      body: form,
      headers: auth,
    });
    if (!upload.ok) throw new Error(`demo upload failed: ${upload.status} ${await upload.text()}`);
  } else if (!existing.ok) {
    throw new Error(`origin answered ${existing.status} for the demo video`);
  }
  for (;;) {
    const status = await (await fetch(`${origin}/api/videos/demo`)).json();
    if (status.status === 'ready') break;
    if (status.status === 'failed' || status.status === 'cancelled') {
      throw new Error(`demo packaging ${status.status}: ${status.error ?? ''}`);
    }
    if (process.stdout.isTTY)
      process.stdout.write(`\rcoral: packaging demo ${progressBar(status.progress ?? 0)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  if (process.stdout.isTTY) process.stdout.write('\n');
  await ensureLiveChannel(auth, 'live-demo', 'Coral live demo', {});
  // The same test pattern as LL-HLS: 0.5 s parts, 2 s segments.
  await ensureLiveChannel(auth, 'live-ll', 'Coral low-latency demo', { lowLatency: true });
}

async function ensureLiveChannel(auth, id, title, options) {
  const origin = url(ports.origin);
  const live = await fetch(`${origin}/api/live/${id}`);
  if (live.status === 404) {
    const created = await fetch(`${origin}/api/live`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ id, title, source: { type: 'testsrc' }, ...options }),
    });
    if (!created.ok) throw new Error(`${id} failed: ${created.status} ${await created.text()}`);
  } else if (live.ok && (await live.json()).status !== 'running') {
    await fetch(`${origin}/api/live/${id}/start`, { method: 'POST', headers: auth });
  }
}

/** Refuse to start over a running stack: name each taken port and, where known, its process. */
async function refuseTakenPorts(wanted) {
  const taken = [];
  for (const service of wanted) {
    if (!(await isListening(host, service.port))) continue;
    const owner = portOwner(service.port);
    const who = owner ? `pid ${owner.pid} (${owner.command.slice(0, 120)})` : 'another process';
    taken.push(`coral: port ${service.port} (${service.name}) is in use by ${who}`);
  }
  if (taken.length === 0) return;
  process.stderr.write(
    `${taken.join('\n')}\ncoral: is a Coral stack already running? Stop it (its npm start: ` +
      'Ctrl-C or kill -TERM) or free these ports, then start again.\n',
  );
  process.exit(1);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

mkdirSync(logDir, { recursive: true });
const available = services.filter(isAvailable);
const missing = [...new Set(services.filter((s) => !available.includes(s)).map((s) => s.app))];
if (!hasCoturn) {
  process.stderr.write(
    `coral: coturn (${turnserver}) is not installed: viewers get no STUN, so viewers behind ` +
      'NATs will not reach each other (apt-get install coturn, or set TURNSERVER_PATH)\n',
  );
}
if (available.length === 0) {
  process.stdout.write('coral: no app is built yet (apps/*/dist/main.js); nothing to start.\n');
  process.exit(0);
}
await refuseTakenPorts(available);
for (const service of available) startService(service);
const healthy = await Promise.all(available.map((service) => waitHealthy(service)));
if (stopping) await new Promise(() => {});
available.forEach((service, index) => {
  if (!healthy[index]) {
    process.stderr.write(
      `coral: ${service.name} did not become healthy; see ${join(logDir, `${service.name}.log`)}\n`,
    );
  }
});
if (healthy.includes(false)) await stopAll(1);

for (const service of available) {
  const where = service.command
    ? `stun:${host}:${service.port} (TURN for peers: ${turnForPeers ? 'on' : 'off'})`
    : url(service.port);
  process.stdout.write(`${service.name.padEnd(16)} ${where}\n`);
}
if (missing.length) process.stdout.write(`(not built yet: ${missing.join(', ')})\n`);
if (available.some((s) => s.app === 'origin')) {
  try {
    const key = operatorKey();
    process.stdout.write(
      `\nOperator API key (the origin's control API: Authorization: Bearer <key>; CORAL_API_KEY for its CLI):\n  ${key}\n`,
    );
    await ensureDemoStreams(key);
  } catch (error) {
    process.stderr.write(`coral: ${error.message}\n`);
    await stopAll(1);
  }
}
// A signal during start-up: stopAll exits; print no URLs meanwhile.
if (stopping) await new Promise(() => {});
if (available.some((s) => s.app === 'player')) {
  process.stdout.write(
    `\nOpen the player: ${url(ports.player)}/?id=demo   (live: ${url(ports.player)}/?id=live-demo, low-latency: ${url(ports.player)}/?id=live-ll)\n`,
  );
}
process.stdout.write(`Logs: ${logDir}   Stop: Ctrl-C\n`);
