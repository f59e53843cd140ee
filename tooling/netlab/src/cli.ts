#!/usr/bin/env node
// coral-netlab: remove labs left behind (a crashed run), by run id or all whose owner is gone.
import { parseArgs } from 'node:util';
import { labRunIds, teardownLab, teardownStaleLabs } from './teardown.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { stale: { type: 'boolean' }, all: { type: 'boolean' }, help: { type: 'boolean' } },
});
const usage =
  'usage: coral-netlab list | teardown <runId> | teardown --stale | teardown --all\n' +
  '  --stale: labs whose owner process is gone; --all: every lab namespace on the machine\n';
const [command, runId] = positionals;
if (values.help || !command) {
  process.stdout.write(usage);
  process.exit(command ? 0 : 64);
}
if (command === 'list') {
  process.stdout.write(`${labRunIds().join('\n')}\n`);
} else if (command === 'teardown' && runId) {
  const { namespaces } = teardownLab(runId);
  process.stdout.write(`${JSON.stringify({ runId, namespacesRemoved: namespaces })}\n`);
} else if (command === 'teardown' && (values.stale || values.all)) {
  const removed = teardownStaleLabs({ includeUnregistered: values.all === true });
  process.stdout.write(`${JSON.stringify({ removed })}\n`);
} else {
  process.stderr.write(usage);
  process.exit(64);
}
