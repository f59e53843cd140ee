import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const infraDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const repoRoot = resolve(infraDir, '..');
export const composeFile = join(infraDir, 'docker-compose.yml');
export const podmanOverride = join(infraDir, 'compose.podman.yml');

export type AppName = 'origin' | 'edge' | 'tracker' | 'player';
export const APP_NAMES: readonly AppName[] = ['origin', 'edge', 'tracker', 'player'];

interface ParseResult {
  success: boolean;
  error?: { issues: Array<{ path: PropertyKey[]; message: string }> };
}

/** What the tests use of a zod object schema (structurally; no zod import needed here). */
export interface ConfigSchema {
  shape: Record<string, { safeParse(value: unknown): ParseResult }>;
  safeParse(value: unknown): ParseResult;
}

/** Each app's config schema, from its build: the zod object keyed by env var names. */
export async function appConfigSchema(app: AppName): Promise<ConfigSchema> {
  switch (app) {
    case 'origin':
      return (await import('@coral-cdn/origin/dist/config.js')).originConfigSchema;
    case 'edge':
      return (await import('@coral-cdn/edge/dist/config.js')).edgeConfigSchema;
    case 'tracker':
      return (await import('@coral-cdn/tracker/dist/config.js')).trackerConfigSchema;
    case 'player':
      return (await import('@coral-cdn/player/dist/config.js')).playerConfigSchema;
  }
}

export interface PackageManifest {
  name: string;
  version: string;
  private?: boolean;
  main?: string;
  types?: string;
  type?: string;
  license?: string;
  files?: string[];
  bin?: Record<string, string>;
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  homepage?: string;
  repository?: { type?: string; url?: string; directory?: string };
  bugs?: { url?: string };
  publishConfig?: { access?: string };
}

export function readManifest(folder: string): PackageManifest {
  return JSON.parse(readFileSync(join(repoRoot, folder, 'package.json'), 'utf8')) as never;
}
