import { createLogger, loadConfigOrExit, stopOnSignals } from '@coral-cdn/server-kit';
import { createTrackerApp } from './app.js';
import { trackerConfigSchema } from './config.js';

const config = loadConfigOrExit('tracker', trackerConfigSchema);
const logger = createLogger({ service: 'tracker', level: config.LOG_LEVEL });
const app = await createTrackerApp(config, { logger });
try {
  await app.listen();
} catch (error) {
  logger.error('cannot listen', { port: config.PORT, host: config.HOST, err: error });
  await app.close();
  process.exit(1);
}
stopOnSignals({ logger, stop: () => app.close(), timeoutMs: config.SHUTDOWN_TIMEOUT_MS + 5000 });
