import { createHash, timingSafeEqual } from 'node:crypto';

/** What an operator key may do. A key listed without scopes may do everything. */
export const OPERATOR_SCOPES = ['videos:write', 'live:write', 'read:secrets'] as const;
export type OperatorScope = (typeof OPERATOR_SCOPES)[number];

export interface OperatorKey {
  readonly key: string;
  readonly scopes: ReadonlySet<OperatorScope>;
}

/** Keys are long random strings; a short one is a configuration mistake, not a credential. */
export const MIN_OPERATOR_KEY_LENGTH = 16;
const KEY_PATTERN = /^[A-Za-z0-9._~-]+$/;

export type ParsedKeys = { ok: true; keys: OperatorKey[] } | { ok: false; error: string };

/** Parse `OPERATOR_API_KEYS`: `key` or `key:scope1+scope2`, comma-separated. */
export function parseOperatorKeys(text: string): ParsedKeys {
  const keys: OperatorKey[] = [];
  for (const item of text.split(',').map((part) => part.trim())) {
    if (item === '') continue;
    const colon = item.indexOf(':');
    const key = colon < 0 ? item : item.slice(0, colon);
    const scopeText = colon < 0 ? '' : item.slice(colon + 1);
    if (key.length < MIN_OPERATOR_KEY_LENGTH || !KEY_PATTERN.test(key)) {
      return {
        ok: false,
        error: `a key must be at least ${MIN_OPERATOR_KEY_LENGTH} of [A-Za-z0-9._~-] (key #${keys.length + 1})`,
      };
    }
    const scopes = new Set<OperatorScope>();
    if (colon < 0) {
      for (const scope of OPERATOR_SCOPES) scopes.add(scope);
    } else {
      for (const name of scopeText.split('+')) {
        if (!(OPERATOR_SCOPES as readonly string[]).includes(name)) {
          return {
            ok: false,
            error: `unknown scope "${name}" (key #${keys.length + 1}); scopes: ${OPERATOR_SCOPES.join(', ')}`,
          };
        }
        scopes.add(name as OperatorScope);
      }
    }
    keys.push({ key, scopes });
  }
  if (keys.length === 0) return { ok: false, error: 'no key in the list' };
  return { ok: true, keys };
}

const digest = (text: string) => createHash('sha256').update(text).digest();

export type KeyCheck =
  { ok: true; scopes: ReadonlySet<OperatorScope> } | { ok: false; reason: 'missing' | 'unknown' };

/**
 * The operator keys, compared in constant time: both sides are hashed to 32 bytes (so length
 * leaks nothing) and every key is compared, whichever matches.
 */
export class OperatorKeys {
  private readonly entries: ReadonlyArray<{ digest: Buffer; scopes: ReadonlySet<OperatorScope> }>;

  constructor(keys: readonly OperatorKey[]) {
    this.entries = keys.map((entry) => ({ digest: digest(entry.key), scopes: entry.scopes }));
  }

  /** Check an `Authorization` header value (`Bearer <key>`). */
  check(authorization: string | undefined): KeyCheck {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return { ok: false, reason: 'missing' };
    const presented = digest(match[1]!);
    let found: ReadonlySet<OperatorScope> | null = null;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presented) && found === null) found = entry.scopes;
    }
    return found === null ? { ok: false, reason: 'unknown' } : { ok: true, scopes: found };
  }
}
