import type { Logger } from './logger.js';

/**
 * Run `stop` on SIGTERM or SIGINT, then exit 0 (1 if stopping failed or exceeded
 * `timeoutMs`). A second signal exits at once.
 */
export function stopOnSignals(options: {
  logger: Logger;
  stop: () => Promise<void>;
  timeoutMs?: number;
}): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.logger.warn('second signal: exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    options.logger.info('stopping', { signal });
    const timer = setTimeout(() => {
      options.logger.error('stop timed out', { timeoutMs: options.timeoutMs ?? 10_000 });
      process.exit(1);
    }, options.timeoutMs ?? 10_000);
    timer.unref();
    options.stop().then(
      () => {
        options.logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        options.logger.error('stop failed', { err: error });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
