import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { infraDir, type AppName } from './paths.js';

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  environment?: Record<string, string | null>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
  volumes?: string[];
  command?: string[];
}

export interface ComposeConfig {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export interface ComposeRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Debian's docker-compose 1.29: validates and resolves a compose file with no engine. */
export function dockerCompose(args: string[], env: Record<string, string> = {}): ComposeRun {
  const run = spawnSync('docker-compose', args, {
    cwd: infraDir,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  if (run.error) {
    throw new Error(
      `docker-compose could not run (${run.error.message}): install Debian's docker-compose ` +
        '(node scripts/preflight.mjs --for infra does it as root)',
    );
  }
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The effective configuration (anchors merged, variables and defaults substituted). */
export function resolvedCompose(files: string[], env: Record<string, string> = {}): ComposeConfig {
  const run = dockerCompose([...files.flatMap((file) => ['-f', file]), 'config'], env);
  if (run.status !== 0) throw new Error(`docker-compose config failed:\n${run.stderr}`);
  return parse(run.stdout) as ComposeConfig;
}

/** Which Coral app a service runs, from its Dockerfile or image name; null for others. */
export function appOf(service: ComposeService): AppName | null {
  const source = service.build?.dockerfile ?? service.image ?? '';
  const match = /(?:^|\/)(origin|edge|tracker|player)(?:\.Dockerfile|:)/.exec(source);
  return (match?.[1] as AppName | undefined) ?? null;
}

export interface PortMapping {
  hostIp: string;
  published: number;
  target: number;
  protocol: 'tcp' | 'udp';
}

/** `127.0.0.1:8080:8080/tcp` (docker-compose 1.29's resolved form). */
export function portMappings(service: ComposeService): PortMapping[] {
  return (service.ports ?? []).map((text) => {
    const match = /^(?:(.+):)?(\d+):(\d+)(?:\/(tcp|udp))?$/.exec(text);
    if (!match) throw new Error(`unexpected port mapping ${text}`);
    return {
      hostIp: match[1] ?? '0.0.0.0',
      published: Number(match[2]),
      target: Number(match[3]),
      protocol: match[4] === 'udp' ? 'udp' : 'tcp',
    };
  });
}
