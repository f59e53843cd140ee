#!/usr/bin/env node
import { createServer } from 'node:http';
import {
  addressUrl,
  closeGracefully,
  ConfigError,
  createLogger,
  listen,
  loadConfigOrExit,
  stopOnSignals,
} from '@coral-cdn/server-kit';
import { originConfigSchema, resolveConfig } from './config.js';
import { refuseOversizedBeforeContinue } from './http/expect-continue.js';
import { createOrigin } from './origin.js';

const config = (() => {
  try {
    return resolveConfig(loadConfigOrExit('origin', originConfigSchema));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`origin: invalid configuration: ${error.message}\n`);
    process.exit(2);
  }
})();
const logger = createLogger({ service: 'origin', level: config.LOG_LEVEL });

let origin;
try {
  origin = await createOrigin(config, logger);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`origin: invalid configuration: ${error.message}\n`);
    process.exit(2);
  }
  logger.error('start-up failed', { err: error });
  process.exit(1);
}

const server = createServer(origin.app);
refuseOversizedBeforeContinue(server, config.MAX_UPLOAD_BYTES, origin.operatorKeys);
// Large uploads take a while: allow an hour per request (Node's default is 5 minutes).
server.requestTimeout = 3_600_000;
const address = await listen(server, config.PORT, config.HOST);
logger.info('origin listening', {
  url: addressUrl(address),
  publicUrl: config.PUBLIC_URL,
  dataDir: config.DATA_DIR,
  ffmpeg: origin.binaries.ffmpeg,
  ffmpegFrom: origin.binaries.source,
  edges: config.EDGES,
  trackers: config.TRACKER_URLS,
});

const running = origin;
stopOnSignals({
  logger,
  timeoutMs: 15_000,
  stop: async () => {
    await Promise.all([closeGracefully(server, 10_000), running.close()]);
  },
});
