import { parseArgs } from 'node:util';
import { z } from 'zod';

/** A flag a benchmark does not take, or a value it cannot use; the message names the flag. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

/** A flag without a value (`--skip-nginx`); false when absent. */
export const booleanFlag = () =>
  z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true');

/** A whole number in [min, max], `fallback` when absent. */
export const intFlag = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** `skip_nginx` → `--skip-nginx`, as a user types it. */
export const flagName = (key: string): string => `--${key.replace(/_/g, '-')}`;

/**
 * Split `npm run bench -- [names] [--flag value | --flag=value | --flag]` with node's parseArgs:
 * positionals are scenario names; each flag's value is the next argument unless that starts
 * with `--` (a lone flag is 'true'). Keys are lower case with '_' for '-', as scenarios read
 * them; which flags a scenario takes, and their types, its own zod schema says.
 */
export function splitBenchArgs(argv: readonly string[]): {
  names: string[];
  flags: Record<string, string>;
} {
  const { tokens } = parseArgs({
    args: [...argv],
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const names: string[] = [];
  const flags: Record<string, string> = {};
  let pending: string | null = null;
  for (const token of tokens) {
    if (token.kind === 'option') {
      if (pending !== null) flags[pending] = 'true';
      const key = token.name.toLowerCase().replace(/-/g, '_');
      if (token.value === undefined) pending = key;
      else {
        flags[key] = token.value;
        pending = null;
      }
    } else if (token.kind === 'positional') {
      if (pending !== null) {
        flags[pending] = token.value;
        pending = null;
      } else names.push(token.value);
    }
  }
  if (pending !== null) flags[pending] = 'true';
  return { names, flags };
}

/**
 * A scenario's flags through its zod schema (strict: an unknown flag is an error too). Throws
 * FlagError naming each bad flag as the user typed it.
 */
export function parseFlags<S extends z.ZodObject>(
  schema: S,
  flags: Readonly<Record<string, string>>,
): z.output<S> {
  const parsed = schema.strict().safeParse(flags);
  if (parsed.success) return parsed.data as z.output<S>;
  throw new FlagError(
    parsed.error.issues
      .map((issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown flag ${issue.keys.map(flagName).join(', ')}`
          : `${flagName(String(issue.path[0] ?? '?'))}: ${issue.message}`,
      )
      .join('; '),
  );
}
