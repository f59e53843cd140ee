import cluster from 'node:cluster';
import { join } from 'node:path';
import { createLogger, loadConfigOrExit, stopOnSignals } from '@coral-cdn/server-kit';
import { runPrimary } from './cluster/primary.js';
import { isClusterMessage, perWorker } from './cluster/shard.js';
import { edgeConfigSchema, type EdgeConfig } from './config.js';
import { createEdge } from './edge.js';

const config = loadConfigOrExit('edge', edgeConfigSchema);
const workers = config.EDGE_WORKERS;

if (workers > 1 && cluster.isPrimary) {
  const logger = createLogger(
    { service: 'edge', level: config.LOG_LEVEL },
    { region: config.EDGE_REGION },
  );
  runPrimary({ workers, logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
} else if (cluster.isWorker) {
  const index = Number(process.env.EDGE_WORKER_INDEX ?? '0');
  const logger = createLogger(
    { service: 'edge', level: config.LOG_LEVEL },
    { region: config.EDGE_REGION, worker: index },
  );
  const edge = await createEdge(workerConfig(config, index), {
    logger,
    worker: { index, count: workers },
  });
  await edge.listen();
  const internalUrl = await edge.listenInternal();
  process.on('message', (message: unknown) => {
    if (isClusterMessage(message) && message.type === 'peers') edge.setPeers(message.urls);
  });
  process.send?.({ type: 'internal-url', index, url: internalUrl });
  // The primary relays SIGTERM; Ctrl-C reaches the whole process group, and the primary's
  // SIGTERM follows it, so workers leave SIGINT to the primary.
  process.on('SIGINT', () => undefined);
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal: 'SIGTERM' });
    edge.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('stop failed', { err: error });
        process.exit(1);
      },
    );
  });
} else {
  const logger = createLogger(
    { service: 'edge', level: config.LOG_LEVEL },
    { region: config.EDGE_REGION },
  );
  const edge = await createEdge(config, { logger });
  await edge.listen();
  stopOnSignals({ logger, stop: () => edge.close(), timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
}

/** A worker's share of the memory and disk bounds, and a disk folder of its own. */
function workerConfig(total: EdgeConfig, index: number): EdgeConfig {
  const memory = perWorker(total.CACHE_MEMORY_BYTES, workers);
  return {
    ...total,
    CACHE_MEMORY_BYTES: memory,
    MAX_OBJECT_BYTES: Math.min(total.MAX_OBJECT_BYTES, memory),
    INFLIGHT_MAX_BYTES: perWorker(total.INFLIGHT_MAX_BYTES, workers),
    CACHE_DISK_BYTES: perWorker(total.CACHE_DISK_BYTES, workers),
    ...(total.CACHE_DISK_DIR === undefined
      ? {}
      : { CACHE_DISK_DIR: join(total.CACHE_DISK_DIR, `worker-${index}`) }),
  };
}
