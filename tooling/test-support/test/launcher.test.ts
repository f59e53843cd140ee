import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHROMIUM_LAUNCHER, chromiumLauncherEnv, makeTempDir } from '../src/index.js';

/** CAP_SYS_NICE's bit in /proc/PID/status's capability masks. */
const CAP_SYS_NICE_BIT = 23n;

const dir = makeTempDir();
afterAll(() => dir.remove());

/** A stand-in for Chromium: prints each argument on a line, then its bounding capability set. */
const fakeChromium = join(dir.path, 'fake-chromium');
writeFileSync(fakeChromium, '#!/bin/sh\nprintf "arg:%s\\n" "$@"\ngrep CapBnd /proc/self/status\n');
chmodSync(fakeChromium, 0o755);

function launch(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(CHROMIUM_LAUNCHER, args, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', CORAL_CHROMIUM_BINARY: fakeChromium, ...env },
  });
  const lines = result.stdout.split('\n');
  return {
    status: result.status,
    stderr: result.stderr,
    args: lines.filter((l) => l.startsWith('arg:')).map((l) => l.slice('arg:'.length)),
    boundingSet: BigInt(`0x${/CapBnd:\s*(\w+)/.exec(result.stdout)?.[1] ?? '0'}`),
  };
}

describe('the Chromium launcher (bin/coral-chromium)', () => {
  it('joins every --disable-features and --enable-features list into one switch each', () => {
    const run = launch([
      '--disable-features=PlaywrightA,PlaywrightB',
      '--enable-features=E1',
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
      '--disable-features=Ours',
      '--enable-features=E2',
      'about:blank',
    ]);
    expect(run.status).toBe(0);
    expect(run.args).toEqual([
      // Every other argument unchanged and in order, spaces kept.
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
      'about:blank',
      '--disable-features=PlaywrightA,PlaywrightB,Ours',
      '--enable-features=E1,E2',
    ]);
  });

  it('adds no feature switch that was not given', () => {
    expect(launch(['--headless', '']).args).toEqual(['--headless', '']);
  });

  it('refuses to start without the real binary named', () => {
    const run = launch(['--headless'], { CORAL_CHROMIUM_BINARY: '' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/CORAL_CHROMIUM_BINARY is not set/);
  });

  it('as root, starts the browser without CAP_SYS_NICE; otherwise leaves it alone', () => {
    const root = process.getuid?.() === 0;
    const env = chromiumLauncherEnv();
    expect(env.CORAL_CHROMIUM_DROP_NICE === '1').toBe(root);
    expect(chromiumLauncherEnv(1000).CORAL_CHROMIUM_DROP_NICE).toBeUndefined();
    const hasNice = (set: bigint) => ((set >> CAP_SYS_NICE_BIT) & 1n) === 1n;
    const plain = launch(['--headless']);
    expect(plain.boundingSet).not.toBe(0n);
    if (root) {
      expect(hasNice(plain.boundingSet)).toBe(true);
      const dropped = launch(['--headless'], { CORAL_CHROMIUM_DROP_NICE: '1' });
      expect(dropped.status).toBe(0);
      expect(hasNice(dropped.boundingSet)).toBe(false);
      expect(dropped.args).toEqual(['--headless']);
    }
  });
});
