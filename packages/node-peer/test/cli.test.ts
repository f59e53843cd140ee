import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetReport } from '../src/index.js';
import { startOriginStack, type OriginStack } from './support/origin-stack.js';

// The CLI (dist/cli.js, built by the global setup) against the real origin and tracker
// processes, inside the private network namespace (see vitest.config.ts).

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

type Line = { type: 'stats' | 'summary'; reason?: string } & FleetReport;

interface CliRun {
  code: number | null;
  lines: Line[];
  stderr: string;
}

/** Run the CLI; `onLine` may act on each stats line as it arrives (e.g. send a signal). */
function runCli(
  args: string[],
  onLine?: (line: Line, child: ReturnType<typeof spawn>) => void,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Line[] = [];
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      let newline: number;
      while ((newline = stdout.indexOf('\n')) >= 0) {
        const text = stdout.slice(0, newline);
        stdout = stdout.slice(newline + 1);
        const line = JSON.parse(text) as Line; // every stdout line must be JSON
        lines.push(line);
        onLine?.(line, child);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, lines, stderr }));
  });
}

let stack: OriginStack;

beforeAll(async () => {
  stack = await startOriginStack();
  await Promise.all([stack.publishVod('clip1', 10), stack.startLive('live1')]);
});

afterAll(async () => {
  await stack?.stop();
});

describe('coral-peer CLI', () => {
  it('runs N peers from the playback API and prints parsable JSON stats', async () => {
    const run = await runCli([
      '--origin',
      stack.origin.url,
      '--stream',
      'clip1',
      '--rendition',
      '240p',
      '--count',
      '3',
      '--join-interval-ms',
      '1000',
      '--buffer-sec',
      '4',
      '--stats-interval-ms',
      '1000',
      '--region',
      'local',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const stats = run.lines.filter((line) => line.type === 'stats');
    const summaries = run.lines.filter((line) => line.type === 'summary');
    expect(stats.length).toBeGreaterThanOrEqual(3);
    expect(summaries).toHaveLength(1);
    const summary = summaries[0]!;
    expect(run.lines.at(-1)).toBe(summary);
    expect(summary.reason).toBe('completed');
    expect(summary.peers).toHaveLength(3);
    expect(summary.totals.states.ended).toBe(3);
    for (const peer of summary.peers) {
      expect(peer.rendition).toBe('240p');
      expect(peer.peerId).toMatch(/\S/);
      expect(peer.player!.ended).toBe(true);
      expect(peer.player!.stalls).toBe(0);
      expect(peer.engine!.integrityFailures).toBe(0);
    }
    // Later joiners took segments from earlier ones.
    expect(summary.totals.p2pBytes).toBeGreaterThan(0);
    expect(summary.totals.uploadedBytes).toBeGreaterThanOrEqual(summary.totals.p2pBytes);
    expect(summary.totals.offloadRatio).toBeGreaterThan(0);
    expect(summary.process.rssBytes).toBeGreaterThan(0);
    // Stats lines grow as the run goes on.
    expect(stats.at(-1)!.elapsedMs).toBeGreaterThan(stats[0]!.elapsedMs);
  });

  it('watches a live stream for --duration-sec: peers share each new segment, no stall', async () => {
    const run = await runCli([
      '--origin',
      stack.origin.url,
      '--stream',
      'live1',
      '--count',
      '3',
      '--join-interval-ms',
      '300',
      '--duration-sec',
      '14',
      '--stats-interval-ms',
      '2000',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const summary = run.lines.at(-1)!;
    expect(summary.type).toBe('summary');
    expect(summary.reason).toBe('duration');
    expect(summary.elapsedMs).toBeGreaterThanOrEqual(14_000);
    expect(summary.totals.states.running).toBe(3);
    for (const peer of summary.peers) {
      expect(peer.rendition).toBe('240p');
      expect(peer.player!.startupMs).not.toBeNull();
      expect(peer.player!.playedSec).toBeGreaterThan(8);
      expect(peer.player!.stalls).toBe(0);
      expect(peer.engine!.integrityFailures).toBe(0);
    }
    expect(summary.totals.p2pBytes).toBeGreaterThan(0);
  });

  it('stops cleanly on SIGTERM with a final summary', async () => {
    let signaled = false;
    const run = await runCli(
      [
        '--origin',
        stack.origin.url,
        '--stream',
        'clip1',
        '--mode',
        'seed',
        '--count',
        '2',
        '--stats-interval-ms',
        '500',
      ],
      (line, child) => {
        // Once both seeders hold the whole VOD, stop them.
        const done = line.peers.filter((peer) => (peer.player?.segmentsLoaded ?? 0) >= 5).length;
        if (!signaled && line.type === 'stats' && done === 2) {
          signaled = true;
          child.kill('SIGTERM');
        }
      },
    );
    expect(signaled).toBe(true);
    expect(run.code, run.stderr).toBe(0);
    const summary = run.lines.at(-1)!;
    expect(summary.type).toBe('summary');
    expect(summary.reason).toBe('signal');
    expect(summary.peers.every((peer) => peer.mode === 'seed')).toBe(true);
    expect(summary.totals.states.running).toBe(2);
  });

  it('reports a stream the origin does not know: peers failed, exit 1', async () => {
    const run = await runCli([
      '--origin',
      stack.origin.url,
      '--stream',
      'no-such-stream',
      '--count',
      '2',
      '--stats-interval-ms',
      '0',
    ]);
    expect(run.code).toBe(1);
    expect(run.lines).toHaveLength(1);
    const summary = run.lines[0]!;
    expect(summary.reason).toBe('completed');
    expect(summary.totals.states.failed).toBe(2);
    expect(summary.peers[0]!.error).toContain('404');
    expect(run.stderr).toContain('peer failed to start');
  });

  it('rejects bad arguments with one line and exit code 2', async () => {
    const cases: Array<[string[], string]> = [
      [['--stream', 'a'], '--origin is required'],
      [['--origin', 'ftp://x', '--stream', 'a'], '--origin must be an http(s) URL'],
      [['--origin', 'http://x', '--stream', 'a b'], '--stream must be'],
      [['--origin', 'http://x', '--stream', 'a', '--count', '0'], '--count must be an integer'],
      [['--origin', 'http://x', '--stream', 'a', '--mode', 'leech'], '--mode must be one of'],
      [['--origin', 'http://x', '--stream', 'a', '--upload-kbps', 'x'], '--upload-kbps must be'],
      [['--origin', 'http://x', '--stream', 'a', '--region', 'EU'], '--region must be'],
      [['--origin', 'http://x', '--stream', 'a', '--bogus'], "Unknown option '--bogus'"],
    ];
    const results = await Promise.all(
      cases.map(
        ([args]) =>
          new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
            const child = spawn(process.execPath, [cli, ...args]);
            let stdout = '';
            let stderr = '';
            child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
            child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
            child.on('exit', (status) => resolve({ status, stdout, stderr }));
          }),
      ),
    );
    cases.forEach(([args, message], index) => {
      const result = results[index]!;
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(message);
    });
  });
});
