import { beforeAll, describe, expect, it } from 'vitest';
import { resolvedCompose } from './support/compose.js';
import { composeFile, podmanOverride } from './support/paths.js';
import {
  STACK_SERVICES,
  ensureBaseImages,
  podman,
  podmanCompose,
  stackImage,
  tail,
} from './support/podman.js';

/**
 * The Dockerfiles, built for real with podman (runc) FROM the local debootstrap-made base
 * (this machine pulls no images), through podman-compose and docker-compose.yml exactly as a
 * user would. The images are then inspected and run (with no network) to check what each
 * must hold. The stack itself runs in test/containers/, inside coral-netns.
 * Builds reuse podman's layer cache and npm's cache mount: a second run takes seconds.
 */

const APPS = ['origin', 'edge', 'tracker', 'player'] as const;
/** Every service with a `build:` (edge-us-east and tracker-b reuse their sibling's image). */
const BUILD_GROUPS = [
  ['redis', 'origin', 'edge-eu-west'],
  ['tracker-a', 'player'],
] as const;

interface ImageInspect {
  Size: number;
  /** podman reports the HEALTHCHECK here (Docker under Config). */
  Healthcheck?: { Test?: string[] };
  Config: {
    User?: string;
    ExposedPorts?: Record<string, unknown>;
    Healthcheck?: { Test?: string[] };
    Cmd?: string[];
    WorkingDir?: string;
  };
}

const inspected = new Map<string, ImageInspect>();
let buildMs = 0;

beforeAll(async () => {
  const baseStartedAt = Date.now();
  const bases = ensureBaseImages();
  process.stdout.write(
    `base images ready in ${((Date.now() - baseStartedAt) / 1000).toFixed(1)} s ` +
      `(npm cache seeded: ${bases.npmCacheSeeded})\n`,
  );
  // Two podman-compose builds at once, so that one image's downloads (apt) overlap the
  // other's work. Measured cold on a busy 2-core machine: 314 s, against 317 s one after the
  // other: the builds are CPU-bound there; the overlap helps where downloads are slow.
  const startedAt = Date.now();
  const builds = await Promise.all(
    BUILD_GROUPS.map((services, index) =>
      podmanCompose(`coral-build-${process.pid}-${index}`, ['build', ...services]),
    ),
  );
  buildMs = Date.now() - startedAt;
  for (const build of builds) {
    if (build.status !== 0) {
      throw new Error(`podman-compose build failed:\n${tail(build.stdout + build.stderr, 60)}`);
    }
  }
  for (const app of [...APPS, 'redis'] as const) {
    const result = await podman(['image', 'inspect', stackImage(app)]);
    if (result.status !== 0) throw new Error(`no image ${stackImage(app)}: ${result.stderr}`);
    inspected.set(app, (JSON.parse(result.stdout) as ImageInspect[])[0]!);
  }
  const sizes = [...inspected].map(([app, image]) => `${app} ${(image.Size / 1e6).toFixed(0)} MB`);
  process.stdout.write(`images built in ${(buildMs / 1000).toFixed(1)} s: ${sizes.join(', ')}\n`);
}, 1_800_000);

describe('the images', () => {
  it('the two parallel builds cover every stack service that has a build:', () => {
    const config = resolvedCompose([composeFile, podmanOverride]);
    const withBuild = STACK_SERVICES.filter((name) => config.services[name]?.build);
    expect([...BUILD_GROUPS.flat()].sort()).toEqual([...withBuild].sort());
  });

  it.each(APPS)('%s runs dist/main.js as the non-root user coral, with a HEALTHCHECK', (app) => {
    const image = inspected.get(app)!;
    expect(image.Config.User).toBe('coral');
    expect(image.Config.WorkingDir).toBe(`/app/apps/${app}`);
    expect(image.Config.Cmd).toEqual(['node', 'dist/main.js']);
    expect((image.Healthcheck ?? image.Config.Healthcheck)?.Test).toEqual([
      'CMD',
      'node',
      '/app/healthcheck.mjs',
    ]);
  });

  it.each(APPS)('%s holds its production dependencies and no build tooling', async (app) => {
    const result = await podman([
      'run',
      '--rm',
      '--network=none',
      stackImage(app),
      'node',
      '-e',
      [
        "const fs = require('node:fs');",
        "const has = (p) => fs.existsSync('/app/node_modules/' + p);",
        "console.log(JSON.stringify({ uid: process.getuid(), typescript: has('typescript'),",
        "  vitest: has('vitest'), eslint: has('eslint'), turbo: has('turbo'),",
        "  serverKit: has('@coral-cdn/server-kit/dist/index.js'), node: process.version }));",
      ].join(' '),
    ]);
    expect(result.status, result.stderr).toBe(0);
    const facts = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(facts).toMatchObject({
      uid: 10001,
      typescript: false,
      vitest: false,
      eslint: false,
      turbo: false,
      serverKit: true,
    });
    expect(String(facts.node)).toMatch(/^v20\./);
  });

  it("the origin's has Debian's ffmpeg with libx264, and the origin starts on it", async () => {
    const ffmpeg = await podman([
      'run',
      '--rm',
      '--network=none',
      stackImage('origin'),
      'sh',
      '-c',
      'ffmpeg -hide_banner -encoders | grep -c -E "libx264|aac"; ffprobe -version | head -1',
    ]);
    expect(ffmpeg.status, ffmpeg.stderr).toBe(0);
    expect(Number(ffmpeg.stdout.split('\n')[0])).toBeGreaterThanOrEqual(2);
    expect(ffmpeg.stdout).toContain('ffprobe version');
    // A bad value still stops it with one line naming the variable and exit code 2.
    const bad = await podman([
      'run',
      '--rm',
      '--network=none',
      '-e',
      'EDGES=not-a-url',
      stackImage('origin'),
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('EDGES');
  });

  it('redis (built from the local base) answers PING', async () => {
    const result = await podman([
      'run',
      '--rm',
      '--network=none',
      stackImage('redis'),
      'sh',
      '-c',
      'redis-server --daemonize yes --save "" >/dev/null && sleep 0.5 && redis-cli ping',
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('PONG');
  });
});
