import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@coral-cdn/test-support';
import { describe, expect, it } from 'vitest';

const main = join(repoRoot, 'apps', 'tracker', 'dist', 'main.js');

describe('configuration errors', () => {
  it.each([
    ['PORT', 'eighty'],
    ['TOKEN_PUBLIC_KEY', 'not-a-key'],
    ['REDIS_URL', 'nowhere'],
    ['MAX_MESSAGE_BYTES', '1000000'],
    ['LOG_LEVEL', 'loud'],
  ])('exits 2 with one line naming %s when it is %s', (variable, value) => {
    const result = spawnSync(process.execPath, [main], {
      env: { ...process.env, [variable]: value },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(result.status).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^tracker: invalid configuration: ${variable}: `));
  });
});
