import {
  MAX_SEQUENCE,
  parseSwarmId,
  PEER_ID_PATTERN,
  REGION_PATTERN,
  RENDITION_PATTERN,
  STREAM_ID_PATTERN,
} from './ids.js';
import { err, ok, type Result } from './result.js';

/**
 * Small, schema-library-free checks for the decoders a browser runs (tracker frames, integrity
 * manifests, playback info). They accept exactly what the zod schemas beside them accept (a
 * differential test holds them to it) at a fraction of the bundle weight: the servers keep zod.
 * Objects are rebuilt from their known keys only, as zod strips unknown ones.
 */

/** Thrown inside a decoder and caught at its edge by `decodeWithChecks`: never escapes. */
export class DecodeIssue extends Error {
  constructor(
    readonly path: string,
    readonly issue: string,
  ) {
    super(`${path}: ${issue}`);
    this.name = 'DecodeIssue';
  }
}

export function fail(path: string, message: string): never {
  throw new DecodeIssue(path, message);
}

export function at(path: string, key: string | number): string {
  return path === '' ? String(key) : `${path}.${key}`;
}

/** Runs `decode`, turning its first issue into a `bad_message` error prefixed by `label`. */
export function decodeWithChecks<T>(label: string, decode: () => T): Result<T> {
  try {
    return ok(decode());
  } catch (error) {
    if (!(error instanceof DecodeIssue)) throw error;
    return err('bad_message', `${label}: ${error.path || label}: ${error.issue}`);
  }
}

export function record(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(path, 'expected an object');
  }
  return value as Record<string, unknown>;
}

export interface TextRule {
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: RegExp;
  readonly what?: string;
}

export function text(value: unknown, path: string, rule: TextRule = {}): string {
  if (typeof value !== 'string') fail(path, 'expected a string');
  if (rule.min !== undefined && value.length < rule.min) fail(path, `shorter than ${rule.min}`);
  if (rule.max !== undefined && value.length > rule.max) fail(path, `longer than ${rule.max}`);
  if (rule.pattern && !rule.pattern.test(value)) fail(path, `not a valid ${rule.what ?? 'value'}`);
  return value;
}

/** A safe integer in [min, max]. */
export function integer(value: unknown, path: string, min: number, max?: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(path, 'expected an integer');
  if (value < min) fail(path, `below ${min}`);
  if (max !== undefined && value > max) fail(path, `above ${max}`);
  return value;
}

/** A finite number in [min, max]. */
export function number(value: unknown, path: string, min: number, max?: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'expected a number');
  if (value < min) fail(path, `below ${min}`);
  if (max !== undefined && value > max) fail(path, `above ${max}`);
  return value;
}

export function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'expected a boolean');
  return value;
}

export function literal<T extends string | number>(value: unknown, path: string, expected: T): T {
  if (value !== expected) fail(path, `expected ${JSON.stringify(expected)}`);
  return expected;
}

export function oneOf<T extends string>(value: unknown, path: string, options: readonly T[]): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    fail(path, `expected one of ${options.join(', ')}`);
  }
  return value as T;
}

export function list<T>(
  value: unknown,
  path: string,
  max: number,
  item: (entry: unknown, path: string) => T,
): T[] {
  if (!Array.isArray(value)) fail(path, 'expected an array');
  if (value.length > max) fail(path, `more than ${max} items`);
  return value.map((entry, index) => item(entry, at(path, index)));
}

/** `null` stays `null`; anything else goes through `decode`. */
export function nullable<T>(
  value: unknown,
  path: string,
  decode: (value: unknown, path: string) => T,
): T | null {
  return value === null ? null : decode(value, path);
}

/** Copies `source[key]` into `target` when present (absent or `undefined`: left out). */
export function optionalInto<T>(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  key: string,
  path: string,
  decode: (value: unknown, path: string) => T,
): void {
  const value = source[key];
  if (value !== undefined) target[key] = decode(value, at(path, key));
}

// ---- ids --------------------------------------------------------------------------------

export const streamId = (value: unknown, path: string): string =>
  text(value, path, { pattern: STREAM_ID_PATTERN, what: 'stream id' });
export const rendition = (value: unknown, path: string): string =>
  text(value, path, { pattern: RENDITION_PATTERN, what: 'rendition' });
export const peerId = (value: unknown, path: string): string =>
  text(value, path, { pattern: PEER_ID_PATTERN, what: 'peer id' });
export const region = (value: unknown, path: string): string =>
  text(value, path, { pattern: REGION_PATTERN, what: 'region' });
export const sequence = (value: unknown, path: string): number =>
  integer(value, path, 0, MAX_SEQUENCE);

export function swarmId(value: unknown, path: string): string {
  const id = text(value, path, { max: 97 });
  if (!parseSwarmId(id).ok) fail(path, 'swarm id: <streamId>/<rendition>');
  return id;
}
