import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../netns-run.mjs', import.meta.url));
const run = (args: string[]) =>
  spawnSync(process.execPath, [script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CORAL_NETNS: '' },
  });

describe('coral-netns', () => {
  it('runs the command in a namespace that has loopback up and no other interface', () => {
    const result = run(['ip', '-o', 'link', 'show']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const names = result.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(':')[1]!.trim());
    expect(names).toEqual(['lo']);
    expect(result.stdout).toContain('UP');
  });

  it('adds the veth pair with --veth', () => {
    const result = run(['--veth', 'ip', '-o', '-4', 'addr', 'show', 'v0']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('10.99.0.1/24');
  });

  it('passes the command exit code through', () => {
    expect(run(['sh', '-c', 'exit 7']).status).toBe(7);
  });

  it('fails with a usage error when given no command', () => {
    const result = run([]);
    expect(result.status).toBe(64);
    expect(result.stderr).toContain('usage');
  });
});
