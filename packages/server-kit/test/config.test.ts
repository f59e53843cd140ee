import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { baseServiceFields, ConfigError, flagsToEnv, parseConfig } from '../src/index.js';

const schema = z.object({
  ...baseServiceFields(8080),
  ORIGIN_URL: z.string().url(),
  CACHE_BYTES: z.coerce.number().int().positive().default(1024),
});

describe('config', () => {
  it('reads env vars, applies defaults, and lets flags override env', () => {
    const config = parseConfig(schema, {
      env: { ORIGIN_URL: 'http://a:1', PORT: '9000', UNRELATED: 'x' },
      argv: ['--port=9100', '--cache-bytes', '2048'],
    });
    expect(config).toEqual({
      PORT: 9100,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ORIGIN_URL: 'http://a:1',
      CACHE_BYTES: 2048,
    });
  });

  it('treats an empty env var as unset', () => {
    expect(parseConfig(schema, { env: { ORIGIN_URL: 'http://a:1', PORT: '' } }).PORT).toBe(8080);
  });

  it('names the bad variable and the value it got', () => {
    expect(() =>
      parseConfig(schema, { env: { ORIGIN_URL: 'http://a:1', PORT: 'eighty' } }),
    ).toThrow(/^PORT: .*\(got "eighty"\)$/);
    expect(() => parseConfig(schema, { env: {} })).toThrow(ConfigError);
    expect(() => parseConfig(schema, { env: {} })).toThrow(/^ORIGIN_URL: /);
    expect(() =>
      parseConfig(schema, { env: { ORIGIN_URL: 'http://a:1' }, argv: ['--no-such'] }),
    ).toThrow(/NO_SUCH: unknown flag --no-such/);
  });

  it('parses flag forms', () => {
    expect(flagsToEnv(['--a=1', '--b-c', '2', '--d', '--e', 'x', 'positional'])).toEqual({
      A: '1',
      B_C: '2',
      D: 'true',
      E: 'x',
    });
  });

  it('loadConfigOrExit prints one line naming the variable and exits 2', () => {
    const script = fileURLToPath(new URL('./fixtures/load-config.mjs', import.meta.url));
    const result = spawnSync(process.execPath, [script], {
      env: { ...process.env, PORT: '-5' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^fixture: invalid configuration: PORT: /);
  });
});
