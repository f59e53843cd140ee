import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@coral-cdn/test-support';

export const resultsDir = join(repoRoot, 'bench', 'results');

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
  } catch {
    return null;
  }
}

/** Write `bench/results/<name>.json` with the figures and the machine they were measured on. */
export function writeResults(name: string, figures: unknown, dir = resultsDir): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  const document = {
    benchmark: name,
    measuredAt: new Date().toISOString(),
    commit: gitCommit(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryBytes: totalmem(),
      loadAverage1m: loadavg()[0],
      node: process.version,
    },
    figures,
  };
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  return path;
}

export function writeResultFile(fileName: string, content: string, dir = resultsDir): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, fileName);
  writeFileSync(path, content);
  return path;
}
