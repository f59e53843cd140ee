import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '@coral-cdn/server-kit';
import { isClusterMessage } from './shard.js';

/**
 * The primary process of a multi-worker edge: forks EDGE_WORKERS workers (each an edge on the
 * shared listening port, plus a loopback port of its own for the other workers), tells them
 * each other's loopback URLs, replaces a worker that dies, and on SIGTERM/SIGINT stops them
 * all gracefully (exit 0 when every worker exited 0).
 */
export function runPrimary(options: {
  readonly workers: number;
  readonly logger: Logger;
  readonly shutdownTimeoutMs: number;
}): void {
  const { workers, logger } = options;
  const urls: Array<string | undefined> = Array.from({ length: workers }, () => undefined);
  const byIndex = new Map<number, Worker>();
  let stopping = false;

  function broadcast(): void {
    if (urls.some((url) => url === undefined)) return;
    for (const worker of byIndex.values()) worker.send({ type: 'peers', urls });
  }

  function fork(index: number): void {
    const worker = cluster.fork({ EDGE_WORKER_INDEX: String(index) });
    byIndex.set(index, worker);
    worker.on('message', (message: unknown) => {
      if (!isClusterMessage(message) || message.type !== 'internal-url') return;
      urls[message.index] = message.url;
      broadcast();
    });
    worker.on('exit', (code, signal) => {
      if (byIndex.get(index) === worker) byIndex.delete(index);
      if (stopping) return;
      logger.error('edge worker died; starting another', { index, code, signal });
      urls[index] = undefined;
      fork(index);
    });
  }

  for (let index = 0; index < workers; index++) fork(index);
  logger.info('edge primary started', { workers });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    logger.info('stopping', { signal });
    const timer = setTimeout(() => {
      logger.error('stop timed out', { timeoutMs: options.shutdownTimeoutMs });
      process.exit(1);
    }, options.shutdownTimeoutMs + 1000);
    timer.unref();
    const exits = [...byIndex.values()].map(
      (worker) =>
        new Promise<number>((resolve) => {
          // A worker still starting has no handler yet: the SIGTERM we sent ends it, cleanly
          // (it held no connection). Any other signal or code is a failed stop.
          worker.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGTERM' ? 0 : 1)));
          worker.process.kill('SIGTERM');
        }),
    );
    void Promise.all(exits).then((codes) => {
      logger.info('stopped', { codes });
      process.exit(codes.every((code) => code === 0) ? 0 : 1);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
