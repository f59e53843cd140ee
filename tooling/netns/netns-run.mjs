#!/usr/bin/env node
// Run a command in a private network namespace that has only loopback (docs/ARCHITECTURE.md: network isolation).
// With --veth, also add the veth pair of recipe 2 (10.99.0.1/24 on v0, default route via
// 10.99.0.2) so that WebRTC stacks that skip loopback find a host address.
// Browser and WebRTC tests run through this so that nothing they open can leave the machine.
// Where `unshare` is not permitted, it fails with a message saying so: never a silent skip.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const veth = args[0] === '--veth';
const command = veth ? args.slice(1) : args;
if (command.length === 0) {
  process.stderr.write('usage: coral-netns [--veth] <command> [args...]\n');
  process.exit(64);
}

if (process.env.CORAL_NETNS === '1') {
  // Already inside a namespace made by us: run the command as it is.
  const result = spawnSync(command[0], command.slice(1), { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

const setup = [
  'set -e',
  'ip link set lo up',
  ...(veth
    ? [
        'ip link add v0 type veth peer name v1',
        'ip addr add 10.99.0.1/24 dev v0',
        'ip link set v0 up',
        'ip link set v1 up',
        'ip route add default via 10.99.0.2 dev v0',
      ]
    : []),
  'exec "$@"',
].join('; ');

const probe = spawnSync('unshare', ['--net', '--', 'ip', 'link', 'set', 'lo', 'up'], {
  encoding: 'utf8',
});
if (probe.error || probe.status !== 0) {
  const reason = probe.error ? probe.error.message : probe.stderr.trim();
  process.stderr.write(
    `coral-netns: cannot create a private network namespace (${reason}). Browser and WebRTC ` +
      'tests must run as root (or with CAP_SYS_ADMIN), with `unshare` (util-linux) and `ip` ' +
      '(iproute2) installed; they are never skipped.\n',
  );
  process.exit(1);
}

const result = spawnSync('unshare', ['--net', '--', 'sh', '-c', setup, 'coral-netns', ...command], {
  stdio: 'inherit',
  env: { ...process.env, CORAL_NETNS: '1' },
});
if (result.error) {
  process.stderr.write(`coral-netns: ${result.error.message}\n`);
  process.exit(1);
}
process.exit(result.status ?? (result.signal ? 128 : 1));
