#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { CLI_HELP, CliError, parseCli } from './cli-options.js';
import { summaryLines } from './summary.js';
import { simulate } from './simulate.js';
import { simulateCohort } from './simulate-cohort.js';

async function main(): Promise<void> {
  let options;
  try {
    options = parseCli(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    process.stderr.write(`coral-sim: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  if (options.help) {
    process.stdout.write(`${CLI_HELP}\n`);
    return;
  }
  const log = (line: string) => {
    if (!options.quiet) process.stderr.write(`${JSON.stringify({ level: 'info', msg: line })}\n`);
  };
  const result = options.cohort
    ? await simulateCohort(options.spec, options.cohort, log)
    : await simulate(options.spec, log);
  process.stdout.write(`${summaryLines(result).join('\n')}\n`);
  if (options.out) {
    writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`result: ${options.out}\n`);
  }
}

await main();
