import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_NAMES,
  appConfigSchema,
  readManifest,
  repoRoot,
  type AppName,
} from './support/paths.js';

/**
 * The Dockerfiles, read as text: every path they copy exists, each app image holds exactly the
 * workspaces the app needs at run time (computed from package.json dependencies, so a new
 * dependency on a workspace fails here rather than at `docker run`), and the runtime stage is
 * what the issue asks for: a BASE_IMAGE argument defaulting to the official slim Node image,
 * a non-root user, a HEALTHCHECK on /healthz, the app's port.
 */

interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

/** Instructions with continuation lines joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    pending += line.endsWith('\\') ? `${line.slice(0, -1)} ` : line;
    if (line.endsWith('\\')) continue;
    const [keyword, ...rest] = pending.split(/\s+/);
    if (keyword!.toUpperCase() === 'FROM') stage++;
    out.push({ keyword: keyword!.toUpperCase(), args: rest.join(' '), stage });
    pending = '';
  }
  return out;
}

const workspaceFolders = new Map<string, string>();
for (const group of ['apps', 'packages', 'tooling']) {
  for (const entry of readdirSync(join(repoRoot, group))) {
    if (!existsSync(join(repoRoot, group, entry, 'package.json'))) continue;
    workspaceFolders.set(readManifest(`${group}/${entry}`).name, `${group}/${entry}`);
  }
}

/** The app and every workspace it reaches through `dependencies` (what runs in production). */
function runtimeWorkspaces(app: AppName): string[] {
  const found = new Set<string>();
  const visit = (folder: string) => {
    if (found.has(folder)) return;
    found.add(folder);
    for (const dep of Object.keys(readManifest(folder).dependencies ?? {})) {
      const target = workspaceFolders.get(dep);
      if (target) visit(target);
    }
  };
  visit(`apps/${app}`);
  return [...found].sort();
}

const dockerfilePath = (app: AppName) => join(repoRoot, 'infra', 'docker', `${app}.Dockerfile`);

describe.each(APP_NAMES)('infra/docker/%s.Dockerfile', (app) => {
  const text = readFileSync(dockerfilePath(app), 'utf8');
  const steps = instructions(text);
  const lastStage = Math.max(...steps.map((step) => step.stage));
  const runtime = steps.filter((step) => step.stage === lastStage);

  it('builds FROM a BASE_IMAGE argument that defaults to the official slim Node 20 image', () => {
    expect(steps[0]).toMatchObject({ keyword: 'ARG', args: 'BASE_IMAGE=node:20-bookworm-slim' });
    const stages = new Set<string>();
    for (const from of steps.filter((step) => step.keyword === 'FROM')) {
      const [image, as, name] = from.args.split(/\s+/);
      expect(image === '${BASE_IMAGE}' || stages.has(image!), from.args).toBe(true);
      if (as?.toUpperCase() === 'AS') stages.add(name!);
    }
  });

  it('copies only paths that exist in the repository', () => {
    for (const copy of steps.filter((step) => step.keyword === 'COPY')) {
      if (copy.args.includes('--from=')) continue;
      const parts = copy.args.split(/\s+/).filter((part) => !part.startsWith('--'));
      for (const source of parts.slice(0, -1)) {
        expect(existsSync(join(repoRoot, source)), `COPY ${source}`).toBe(true);
      }
    }
  });

  it('prunes and builds its own workspace', () => {
    const name = readManifest(`apps/${app}`).name;
    expect(text).toContain(`turbo prune ${name} --docker`);
    expect(text).toContain(`turbo run build --filter=${name}`);
  });

  it('ships exactly the workspaces the app needs at run time, and their builds', () => {
    const expected = runtimeWorkspaces(app);
    const manifestStep = steps.find(
      (step) => step.keyword === 'RUN' && step.args.includes('runtime-manifest.mjs '),
    )!;
    const listed = /node \/tmp\/runtime-manifest\.mjs ([^&]+)/
      .exec(manifestStep.args)![1]!
      .trim()
      .split(/\s+/);
    expect(listed.sort()).toEqual(expected);
    const copied = runtime
      .filter((step) => step.keyword === 'COPY' && step.args.startsWith('--from=build '))
      .map((step) => step.args.split(/\s+/)[1]!.replace(/^\/src\//, ''));
    for (const folder of expected) {
      expect(copied, folder).toContain(`${folder}/package.json`);
      expect(copied, folder).toContain(`${folder}/dist`);
    }
    expect(copied.length).toBe(expected.length * 2);
    for (const path of copied) {
      expect(existsSync(join(repoRoot, path.replace(/\/dist$/, ''))), path).toBe(true);
    }
  });

  it('runs dist/main.js (the package main) as a non-root user', () => {
    expect(readManifest(`apps/${app}`).main).toBe('./dist/main.js');
    const workdir = runtime.filter((step) => step.keyword === 'WORKDIR').at(-1)!;
    expect(workdir.args).toBe(`/app/apps/${app}`);
    expect(runtime.find((step) => step.keyword === 'CMD')!.args).toBe('["node", "dist/main.js"]');
    const user = runtime.filter((step) => step.keyword === 'USER').at(-1)!;
    expect(user.args).not.toMatch(/^(root|0)(:|$)/);
    const created = runtime.find((step) => step.keyword === 'RUN' && step.args.includes('useradd'));
    expect(created?.args).toContain(` ${user.args}`);
  });

  it('checks /healthz on the port the app listens on, and exposes it', async () => {
    const healthcheck = runtime.find((step) => step.keyword === 'HEALTHCHECK')!;
    expect(healthcheck.args).toMatch(/CMD \["node", "\/app\/healthcheck\.mjs"\]$/);
    expect(readFileSync(join(repoRoot, 'infra/docker/healthcheck.mjs'), 'utf8')).toContain(
      '/healthz',
    );
    const schema = await appConfigSchema(app);
    const defaultPort = (schema.shape.PORT as unknown as { parse(v: unknown): number }).parse(
      undefined,
    );
    const env = runtime.find((step) => step.keyword === 'ENV')!.args;
    expect(env).toContain(`PORT=${defaultPort}`);
    expect(env).toContain('HOST=0.0.0.0');
    expect(runtime.find((step) => step.keyword === 'EXPOSE')!.args).toBe(String(defaultPort));
  });
});

describe('the origin image', () => {
  it("installs Debian's ffmpeg and points the origin at it", () => {
    const text = readFileSync(dockerfilePath('origin'), 'utf8');
    const runtime = instructions(text).filter(
      (step, _, all) => step.stage === Math.max(...all.map((s) => s.stage)),
    );
    expect(runtime.some((step) => /apt-get install .*\bffmpeg\b/.test(step.args))).toBe(true);
    const env = runtime.find((step) => step.keyword === 'ENV')!.args;
    expect(env).toContain('FFMPEG_PATH=/usr/bin/ffmpeg');
    expect(env).toContain('FFPROBE_PATH=/usr/bin/ffprobe');
    expect(env).toContain('DATA_DIR=/data');
    expect(runtime.some((step) => step.keyword === 'VOLUME' && step.args.includes('/data'))).toBe(
      true,
    );
  });
});
