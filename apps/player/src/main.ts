import { resolve } from 'node:path';
import {
  addressUrl,
  closeGracefully,
  createLogger,
  createMetricsRegistry,
  listen,
  loadConfigOrExit,
  stopOnSignals,
} from '@coral-cdn/server-kit';
import { playerConfigSchema } from './config.js';
import { createPlayerServer } from './server.js';
import { SwarmStatsCollector } from './swarm-stats.js';

const config = loadConfigOrExit('player', playerConfigSchema);
const logger = createLogger({
  service: 'player',
  level: config.LOG_LEVEL,
});
const metrics = createMetricsRegistry('player');
const server = createPlayerServer({
  config: { ...config, WEB_DIR: resolve(config.WEB_DIR) },
  logger,
  metrics,
  swarmStats: new SwarmStatsCollector({ trackerUrls: config.TRACKER_STATS_URLS }),
});
const address = await listen(server, config.PORT, config.HOST);
logger.info('listening', {
  url: addressUrl(address),
  originUrl: config.ORIGIN_URL,
  webDir: resolve(config.WEB_DIR),
  p2pDefault: config.P2P_DEFAULT,
  trackerStatsUrls: config.TRACKER_STATS_URLS,
});
stopOnSignals({ logger, stop: () => closeGracefully(server, 5_000) });
