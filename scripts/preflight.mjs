#!/usr/bin/env node
// Preflight: make sure the system programs Coral needs are present before `npm start`,
// `npm test`, `npm run bench` or infra's container tests (`--for start|test|bench|infra`).
// As root on Debian it installs what is missing with apt-get; anywhere else it stops with a
// message naming exactly what to install.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const purposeIndex = process.argv.indexOf('--for');
const purpose = purposeIndex >= 0 ? process.argv[purposeIndex + 1] : 'test';

/** program → { Debian package, env var that may point at it instead, needed for } */
const programs = [
  { program: 'ffmpeg', pkg: 'ffmpeg', env: 'FFMPEG_PATH', for: ['start', 'test', 'bench'] },
  { program: 'ffprobe', pkg: 'ffmpeg', env: 'FFPROBE_PATH', for: ['start', 'test', 'bench'] },
  { program: 'chromium', pkg: 'chromium', env: 'CHROMIUM_PATH', for: ['test', 'bench'] },
  {
    program: 'redis-server',
    pkg: 'redis-server',
    env: 'REDIS_SERVER_PATH',
    for: ['test', 'bench'],
  },
  { program: 'unshare', pkg: 'util-linux', for: ['test', 'bench'] },
  { program: 'ip', pkg: 'iproute2', for: ['test', 'bench'] },
  // STUN/TURN for viewers behind NATs: `npm start` runs it; the network lab's tests use it.
  { program: 'turnserver', pkg: 'coturn', env: 'TURNSERVER_PATH', for: ['start', 'test', 'bench'] },
  // The network lab (tooling/netlab): NAT and loss rules, and its NFQUEUE delay program.
  { program: 'iptables', pkg: 'iptables', for: ['test', 'bench', 'infra'] },
  { program: 'gcc', pkg: 'gcc', for: ['test', 'bench'] },
  { program: 'pkg-config', pkg: 'pkg-config', for: ['test', 'bench'] },
  {
    program: 'libnetfilter_queue headers',
    file: '/usr/include/libnetfilter_queue/libnetfilter_queue.h',
    pkg: 'libnetfilter-queue-dev',
    for: ['test', 'bench'],
  },
  { program: 'wrk', pkg: 'wrk', for: ['bench'] },
  { program: 'nginx', pkg: 'nginx-light', for: ['bench'], optional: true },
  { program: 'varnishd', pkg: 'varnish', env: 'VARNISHD_PATH', for: ['bench'], optional: true },
  // infra's tests: the compose file validated offline, the stack for real in podman.
  { program: 'docker-compose', pkg: 'docker-compose', for: ['infra'] },
  { program: 'podman', pkg: 'podman', for: ['infra'] },
  { program: 'podman-compose', pkg: 'podman-compose', for: ['infra'] },
  { program: 'runc', pkg: 'runc', for: ['infra'] },
  { program: 'debootstrap', pkg: 'debootstrap', for: ['infra'] },
  {
    program: 'dnsname (CNI plugin)',
    file: '/usr/lib/cni/dnsname',
    pkg: 'golang-github-containernetworking-plugin-dnsname',
    for: ['infra'],
  },
];

function commandName(purpose) {
  if (purpose === 'infra') return '`npm test -w infra` (the container tests)';
  return `\`npm ${purpose === 'bench' ? 'run bench' : purpose}\``;
}

function onPath(program) {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']);
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function present(entry) {
  if (entry.file) return existsSync(entry.file);
  const override = entry.env ? process.env[entry.env] : undefined;
  if (override) return existsSync(override);
  return onPath(entry.program);
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(
    `coral: Node ${process.versions.node} is too old; install Node 20.19 or newer.\n`,
  );
  process.exit(1);
}

const needed = programs.filter((entry) => entry.for.includes(purpose));
const missing = needed.filter((entry) => !present(entry));
if (missing.length === 0) process.exit(0);

const packages = [...new Set(missing.map((entry) => entry.pkg))];
const canApt =
  process.getuid?.() === 0 &&
  existsSync('/etc/debian_version') &&
  onPath('apt-get') &&
  process.env.CORAL_NO_APT !== '1';

if (canApt) {
  process.stderr.write(`coral: installing missing system packages: ${packages.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install =
    update.status === 0
      ? spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
          stdio: 'inherit',
          env,
        })
      : update;
  const stillMissing = missing.filter((entry) => !present(entry));
  if (install.status === 0 && stillMissing.every((entry) => entry.optional)) process.exit(0);
  const names = (stillMissing.length ? stillMissing : missing).map((e) => e.pkg);
  process.stderr.write(
    `coral: apt-get could not install ${[...new Set(names)].join(' ')}; install them by hand ` +
      `(apt-get install ${[...new Set(names)].join(' ')}) and run again.\n`,
  );
  process.exit(1);
}

const required = missing.filter((entry) => !entry.optional);
for (const entry of missing.filter((e) => e.optional)) {
  process.stderr.write(
    `coral: optional ${entry.program} is missing (Debian package ${entry.pkg}); going on without it.\n`,
  );
}
if (required.length === 0) process.exit(0);
const lines = required.map(
  (entry) =>
    `  - ${entry.program}: Debian/Ubuntu package "${entry.pkg}"` +
    (entry.env ? ` (or set ${entry.env} to its path)` : ''),
);
process.stderr.write(
  `coral: ${commandName(purpose)} needs programs that are not installed:\n` +
    `${lines.join('\n')}\n` +
    `Install them with: sudo apt-get install -y ${[...new Set(required.map((e) => e.pkg))].join(' ')}\n`,
);
process.exit(1);
