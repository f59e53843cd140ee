import { spawn, spawnSync } from 'node:child_process';
import { TEST_OPERATOR_KEY } from '@coral-cdn/test-support';
// The local-base script is plain JS (run by hand too); its exports are typed by inference.
import {
  ensureMinbase,
  ensureNodeBase,
  minbaseImage,
  nodeBaseImage,
  podmanEnv,
  seedNpmCache,
} from '../../scripts/local-base.mjs';
import { composeFile, podmanOverride, repoRoot } from './paths.js';

export { minbaseImage, nodeBaseImage };

/** Tag of the images the tests build (kept apart from a developer's `coral/<app>:local`). */
export const TEST_TAG = 'ci-local';

/** The Coral services plus Redis: everything but Prometheus and Grafana (no images offline). */
export const STACK_SERVICES = [
  'redis',
  'origin',
  'edge-eu-west',
  'edge-us-east',
  'tracker-a',
  'tracker-b',
  'player',
] as const;

/** Compose variables for a run on this machine: local bases, fast x264, the test tag. */
export function stackEnv(): Record<string, string> {
  return {
    CORAL_BASE_IMAGE: nodeBaseImage,
    CORAL_DEBIAN_IMAGE: minbaseImage,
    CORAL_TAG: TEST_TAG,
    CORAL_X264_PRESET: 'ultrafast',
    CORAL_LOG_LEVEL: 'warn',
    OPERATOR_API_KEYS: TEST_OPERATOR_KEY,
  };
}

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Run a command with podman's environment; output kept for failure messages. */
export function runCommand(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CommandResult> {
  const startedAt = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: repoRoot,
      env: podmanEnv(options.env ?? {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, durationMs: Date.now() - startedAt });
    });
  });
}

export function tail(text: string, lines = 40): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** podman-compose over docker-compose.yml + the podman override, for one project name. */
export function podmanCompose(project: string, args: string[], timeoutMs = 600_000) {
  return runCommand(
    'podman-compose',
    ['-p', project, '-f', composeFile, '-f', podmanOverride, ...args],
    { env: stackEnv(), timeoutMs },
  );
}

export function podman(args: string[], timeoutMs = 120_000) {
  return runCommand('podman', args, { timeoutMs });
}

export function imageExists(image: string): boolean {
  return spawnSync('podman', ['image', 'exists', image], { env: podmanEnv() }).status === 0;
}

/**
 * The local base images (debootstrap once, cached; see scripts/local-base.mjs), and the image
 * builds' npm cache seeded from the host's (no second download of what `npm ci` fetched).
 */
export function ensureBaseImages(): { node: string; debian: string; npmCacheSeeded: boolean } {
  const debian = ensureMinbase();
  const node = ensureNodeBase();
  return { debian, node, npmCacheSeeded: seedNpmCache() };
}

/** The image compose gives a service (`image:` with variables resolved), in podman's naming. */
export function stackImage(app: 'origin' | 'edge' | 'tracker' | 'player' | 'redis'): string {
  return app === 'redis' ? 'localhost/coral-redis:local' : `localhost/coral/${app}:${TEST_TAG}`;
}
