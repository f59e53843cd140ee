#!/usr/bin/env node
// Base images for machines that cannot pull from a container registry (Coral's CI): a Debian
// bookworm root file system made with `debootstrap --variant=minbase`, imported into podman,
// plus the same with this machine's Node and npm copied in (laid out like the official
// node image: /usr/local/bin/node, /usr/local/lib/node_modules/npm). The Dockerfiles take
// them as `--build-arg BASE_IMAGE=...`.
//
//   node infra/scripts/local-base.mjs      # builds what is missing, prints the image names
//
// The debootstrap tarball is cached in CORAL_INFRA_CACHE (default ~/.cache/coral/infra), so a
// new podman store (or a fresh clone) needs no second debootstrap; the images themselves stay
// in podman's store between runs.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const infraDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const containersConf = join(infraDir, 'podman', 'containers.conf');
export const cacheDir = resolve(
  process.env.CORAL_INFRA_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'coral', 'infra'),
);
const mirror = process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

/** The environment every podman / podman-compose call of Coral's runs with. */
export function podmanEnv(extra = {}) {
  return {
    ...process.env,
    CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? containersConf,
    // Docker format keeps HEALTHCHECK in the image (OCI image config has no such field).
    BUILDAH_FORMAT: 'docker',
    ...extra,
  };
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    env: podmanEnv(),
    maxBuffer: 64 * 1024 * 1024,
    ...options,
  });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-30);
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${output.join('\n')}`);
  }
  return result.stdout ?? '';
}

function imageExists(name) {
  return spawnSync('podman', ['image', 'exists', name], { env: podmanEnv() }).status === 0;
}

export const minbaseImage = 'localhost/coral-bookworm-minbase:latest';
/** Bump when what goes into the base changes; Node's version is part of the tag too. */
const BASE_REVISION = 2;
export const nodeBaseImage = `localhost/coral-node-base:20-bookworm-${process.versions.node}-r${BASE_REVISION}`;

function hostCaBundle() {
  for (const path of [
    process.env.NODE_EXTRA_CA_CERTS,
    process.env.SSL_CERT_FILE,
    '/etc/ssl/certs/ca-certificates.crt',
  ]) {
    if (path && existsSync(path)) return path;
  }
  return null;
}

function log(message) {
  process.stderr.write(`local-base: ${message}\n`);
}

/** debootstrap (once, cached as a tarball) → podman import. */
export function ensureMinbase() {
  if (imageExists(minbaseImage)) return minbaseImage;
  const tarball = join(cacheDir, 'bookworm-minbase.tar');
  if (!existsSync(tarball)) {
    mkdirSync(cacheDir, { recursive: true });
    const rootfs = mkdtempSync(join(tmpdir(), 'coral-rootfs-'));
    try {
      log(`debootstrap --variant=minbase bookworm from ${mirror} (once; a minute or two)`);
      run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, mirror]);
      rmSync(join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
      mkdirSync(join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
      rmSync(join(rootfs, 'var/lib/apt/lists'), { recursive: true, force: true });
      mkdirSync(join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });
      // Like Debian's official images: no recommends, no docs, no man pages.
      writeFileSync(
        join(rootfs, 'etc/apt/apt.conf.d/90coral-slim'),
        'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n',
      );
      writeFileSync(
        join(rootfs, 'etc/dpkg/dpkg.cfg.d/90coral-slim'),
        'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\n',
      );
      run('tar', ['-C', rootfs, '-cf', `${tarball}.part`, '.']);
      run('mv', [`${tarball}.part`, tarball]);
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
  }
  log(`podman import ${tarball}`);
  run('podman', [
    'import',
    '--change',
    'CMD ["/bin/bash"]',
    '--change',
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    tarball,
    minbaseImage,
  ]);
  return minbaseImage;
}

/** minbase + this machine's node and npm, where the official node image has them. */
export function ensureNodeBase() {
  if (imageExists(nodeBaseImage)) return nodeBaseImage;
  ensureMinbase();
  const context = mkdtempSync(join(tmpdir(), 'coral-node-base-'));
  try {
    const npmCli = realpathSync(
      execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim(),
    );
    const npmDir = resolve(dirname(npmCli), '..');
    cpSync(process.execPath, join(context, 'node'));
    cpSync(npmDir, join(context, 'npm'), { recursive: true });
    // This machine's trust store: where HTTPS goes through an inspecting proxy, its CA is
    // in there, and `npm ci` inside a build needs it as much as the host's npm does.
    const caBundle = hostCaBundle();
    if (caBundle) cpSync(caBundle, join(context, 'ca-certificates.crt'));
    writeFileSync(
      join(context, 'Containerfile'),
      [
        `FROM ${minbaseImage}`,
        'COPY node /usr/local/bin/node',
        'COPY npm /usr/local/lib/node_modules/npm',
        'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\',
        ' && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\',
        ' && node --version && npm --version',
        ...(caBundle
          ? [
              'COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt',
              'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
            ]
          : []),
        `ENV NODE_VERSION=${process.versions.node}`,
        'CMD ["node"]',
        '',
      ].join('\n'),
    );
    log(`building ${nodeBaseImage} (Node ${process.versions.node} from this machine)`);
    run('podman', [
      'build',
      '--quiet',
      '-t',
      nodeBaseImage,
      '-f',
      join(context, 'Containerfile'),
      context,
    ]);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  return nodeBaseImage;
}

/** The host's npm cache folder (`npm ci` on this machine filled it), or null. */
function hostNpmCache() {
  // Under `npm test` npm says where; otherwise ask it (outside the workspace: ENOWORKSPACES).
  const asked = () => {
    const result = spawnSync('npm', ['config', 'get', 'cache'], {
      cwd: tmpdir(),
      encoding: 'utf8',
    });
    return result.status === 0 ? result.stdout.trim() : '';
  };
  const folder = process.env.npm_config_cache || asked();
  return folder && existsSync(join(folder, '_cacache')) ? folder : null;
}

/**
 * Copy the host's npm cache into the build cache mount the Dockerfiles share
 * (`--mount=type=cache,id=coral-npm`), through a build step of its own (buildah keeps cache
 * mounts where it likes): on a fresh machine the `npm ci` of each image then reads the
 * tarballs the host's `npm ci` has just downloaded instead of fetching them again. Files
 * already there are kept (`cp -n`); npm's cache is content-addressed, so this never
 * changes what gets installed, only where the bytes come from.
 */
export function seedNpmCache() {
  const folder = hostNpmCache();
  if (!folder) return false;
  ensureMinbase();
  const context = mkdtempSync(join(tmpdir(), 'coral-npm-seed-'));
  try {
    writeFileSync(
      join(context, 'Containerfile'),
      [
        `FROM ${minbaseImage}`,
        'RUN --mount=type=cache,id=coral-npm,target=/root/.npm,sharing=locked \\',
        '  --mount=type=bind,src=_cacache,target=/host-npm-cache,ro \\',
        '  mkdir -p /root/.npm/_cacache && cp -Rn /host-npm-cache/. /root/.npm/_cacache/',
        '',
      ].join('\n'),
    );
    log(`seeding the image builds' npm cache from ${folder}`);
    // The npm cache folder is the build context (bind mounts come from the context);
    // --no-cache: the copy runs each time; the image it leaves is removed.
    const seedImage = 'localhost/coral-npm-seed:latest';
    run('podman', [
      'build',
      '--quiet',
      '--no-cache',
      '--layers=false',
      '-t',
      seedImage,
      '-f',
      join(context, 'Containerfile'),
      folder,
    ]);
    spawnSync('podman', ['rmi', '--force', seedImage], { env: podmanEnv() });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  return true;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const node = ensureNodeBase();
  process.stdout.write(`CORAL_BASE_IMAGE=${node}\nCORAL_DEBIAN_IMAGE=${minbaseImage}\n`);
}
