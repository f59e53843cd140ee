import { createLogger, loadConfigOrExit, stopOnSignals } from '@coral-cdn/server-kit';
import { edgeConfigSchema } from './config.js';
import { createEdge } from './edge.js';

const config = loadConfigOrExit('edge', edgeConfigSchema);
const logger = createLogger(
  { service: 'edge', level: config.LOG_LEVEL },
  { region: config.EDGE_REGION },
);
const edge = await createEdge(config, { logger });
await edge.listen();
stopOnSignals({ logger, stop: () => edge.close(), timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
