#!/usr/bin/env node
// The system programs infra's tests need: docker-compose (offline validation), podman,
// podman-compose, runc and CNI's dnsname plugin (the stack for real), debootstrap (the local
// base image), iptables (podman's port publishing). As root on Debian, apt-get installs what is
// missing (like scripts/preflight.mjs); elsewhere, a message names the packages and exit 1.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const needs = [
  { check: 'docker-compose', pkg: 'docker-compose' },
  { check: 'podman', pkg: 'podman' },
  { check: 'podman-compose', pkg: 'podman-compose' },
  { check: 'runc', pkg: 'runc' },
  { check: 'debootstrap', pkg: 'debootstrap' },
  { check: 'iptables', pkg: 'iptables' },
  { file: '/usr/lib/cni/dnsname', pkg: 'golang-github-containernetworking-plugin-dnsname' },
];

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

const present = (need) => (need.file ? existsSync(need.file) : onPath(need.check));
const missing = needs.filter((need) => !present(need));
if (missing.length === 0) process.exit(0);
const packages = [...new Set(missing.map((need) => need.pkg))];
const canApt =
  process.getuid?.() === 0 &&
  existsSync('/etc/debian_version') &&
  onPath('apt-get') &&
  process.env.CORAL_NO_APT !== '1';
if (canApt) {
  process.stderr.write(`infra: installing missing system packages: ${packages.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install =
    update.status === 0
      ? spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
          stdio: 'inherit',
          env,
        })
      : update;
  if (install.status === 0 && needs.every(present)) process.exit(0);
}
process.stderr.write(
  `infra: the tests need ${packages.join(', ')}; install them with: ` +
    `sudo apt-get install -y --no-install-recommends ${packages.join(' ')}\n`,
);
process.exit(1);
