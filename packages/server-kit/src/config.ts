import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * Service configuration: env vars are the source of truth; command-line flags mirror them
 * (`--origin-url X` or `--origin-url=X` sets ORIGIN_URL). Parsed once at start-up by a zod
 * object schema whose keys are env var names.
 */

export const portSchema = z.coerce.number().int().min(0).max(65_535);
export const hostSchema = z.string().min(1);
export const logLevelSchema = z.enum(['debug', 'info', 'warn', 'error', 'silent']);
export const booleanFlagSchema = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((value) => ['1', 'true', 'yes', 'on'].includes(value));

/** Fields every service has: PORT, HOST, LOG_LEVEL. */
export function baseServiceFields(defaultPort: number) {
  return {
    PORT: portSchema.default(defaultPort),
    HOST: hostSchema.default('127.0.0.1'),
    LOG_LEVEL: logLevelSchema.default('info'),
  };
}

/** Turn `--foo-bar value` / `--foo-bar=value` / `--flag` into { FOO_BAR: value, FLAG: 'true' }. */
export function flagsToEnv(argv: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') continue;
    const eq = arg.indexOf('=');
    const name = (eq < 0 ? arg.slice(2) : arg.slice(2, eq)).replace(/-/g, '_').toUpperCase();
    if (eq >= 0) env[name] = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) env[name] = argv[++i]!;
    else env[name] = 'true';
  }
  return env;
}

/** Parse config; throws ConfigError naming the first bad variable. */
export function parseConfig<S extends z.ZodObject>(
  schema: S,
  source: { env: Record<string, string | undefined>; argv?: readonly string[] },
): z.infer<S> {
  const merged: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = source.env[key];
    // An empty env var counts as unset, as shells and compose files often leave them.
    if (value !== undefined && value !== '') merged[key] = value;
  }
  const flags = flagsToEnv(source.argv ?? []);
  for (const [key, value] of Object.entries(flags)) {
    if (!(key in schema.shape))
      throw new ConfigError(key, `unknown flag --${key.toLowerCase().replace(/_/g, '-')}`);
    merged[key] = value;
  }
  const result = schema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? '(config)');
    const got = merged[variable];
    throw new ConfigError(
      variable,
      `${issue.message}${got === undefined ? '' : ` (got "${got}")`}`,
    );
  }
  return result.data;
}

/**
 * Parse config for a service's entry point: on a bad value print one line naming the
 * variable to stderr and exit with code 2.
 */
export function loadConfigOrExit<S extends z.ZodObject>(
  service: string,
  schema: S,
  source: { env: Record<string, string | undefined>; argv?: readonly string[] } = {
    env: process.env,
    argv: process.argv.slice(2),
  },
): z.infer<S> {
  try {
    return parseConfig(schema, source);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: invalid configuration: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
