#!/usr/bin/env node
import { parseCliArgs, usage, UsageError, type CliOptions } from './cli-args.js';

/**
 * `coral-peer`: many headless peers in one process. Stats go to stdout as JSON lines
 * (`{"type":"stats",...}` every --stats-interval-ms, then one `{"type":"summary",...}`); logs
 * go to stderr. Exit 0 on completion, on --duration-sec and on SIGINT/SIGTERM; 1 when no peer
 * could start; 2 on a bad command line (checked before werift is even loaded).
 */

async function main(): Promise<void> {
  let options: CliOptions | null;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`coral-peer: ${error.message} (see --help)\n`);
    process.exit(2);
  }
  if (options === null) {
    process.stdout.write(usage);
    return;
  }
  const [{ createLogger }, { runFleetCli }] = await Promise.all([
    import('@coral-cdn/server-kit'),
    import('./cli-run.js'),
  ]);
  const logger = createLogger({
    service: 'coral-peer',
    level: options.logLevel,
    write: (line) => process.stderr.write(line),
  });
  const code = await runFleetCli(options, logger);
  // werift leaves UDP sockets and timers behind for a while after close: do not wait for them.
  process.exit(code);
}

main().catch((error: unknown) => {
  process.stderr.write(`coral-peer: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
