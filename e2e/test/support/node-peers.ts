import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { NodePeer, type FleetReport, type NodePeerOptions } from '@coral-cdn/node-peer';
import { repoRoot, waitFor, type Stack } from '@coral-cdn/test-support';

/**
 * werift peers beside the browsers: in-process `NodePeer`s (the library), and `coral-peer`
 * CLI processes (a real process that can be SIGKILLed mid-transfer). Both run inside the same
 * network namespace as the rest of the suite.
 */

/** An in-process NodePeer on the stack's origin, started (playback loading). */
export async function startNodePeer(
  stack: Stack,
  streamId: string,
  options: Omit<NodePeerOptions, 'source'> = {},
): Promise<NodePeer> {
  const peer = new NodePeer({
    source: { originUrl: stack.origin.url, streamId, region: stack.region },
    rendition: '240p',
    ...options,
  });
  try {
    await peer.start();
  } catch (error) {
    peer.destroy();
    throw error;
  }
  return peer;
}

const CLI_PATH = join(repoRoot, 'packages', 'node-peer', 'dist', 'cli.js');

/** A `coral-peer` child process; its JSON stats lines are parsed as they come. */
export class PeerProcess {
  /** The latest `stats` (or `summary`) line. */
  latest: FleetReport | null = null;
  readonly reports: Array<{ atMs: number; report: FleetReport }> = [];
  private stderr = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const record = JSON.parse(line) as { type?: string } & FleetReport;
        if (record.type !== 'stats' && record.type !== 'summary') return;
        this.latest = record;
        this.reports.push({ atMs: Date.now(), report: record });
      } catch {
        this.stderr += `(stdout) ${line}\n`;
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-8000);
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static start(
    name: string,
    stack: Stack,
    streamId: string,
    flags: {
      count?: number;
      uploadKbps?: number;
      mode?: 'watch' | 'seed' | 'corrupt';
      statsIntervalMs?: number;
      joinIntervalMs?: number;
    } = {},
  ): PeerProcess {
    const args = [
      CLI_PATH,
      '--origin',
      stack.origin.url,
      '--stream',
      streamId,
      '--rendition',
      '240p',
      '--region',
      stack.region,
      '--count',
      String(flags.count ?? 1),
      '--mode',
      flags.mode ?? 'watch',
      '--stats-interval-ms',
      String(flags.statsIntervalMs ?? 250),
      '--log-level',
      'warn',
    ];
    if (flags.uploadKbps !== undefined) args.push('--upload-kbps', String(flags.uploadKbps));
    if (flags.joinIntervalMs !== undefined)
      args.push('--join-interval-ms', String(flags.joinIntervalMs));
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new PeerProcess(name, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Wait for a stats line that satisfies `done`. */
  async waitForReport(
    what: string,
    done: (report: FleetReport) => boolean,
    timeoutMs: number,
  ): Promise<FleetReport> {
    return waitFor(
      `${this.name}: ${what}`,
      () => {
        if (!this.running) throw new Error(`${this.name} exited: ${this.stderr.slice(-2000)}`);
        return this.latest && done(this.latest) ? this.latest : null;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** SIGKILL: the peers vanish without a word (no close, no leave). */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: the CLI prints its summary and exits 0. Idempotent. */
  async stop(): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM');
    return this.exited;
  }

  describe(): string {
    const latest = this.latest ? JSON.stringify({ ...this.latest, process: undefined }) : 'none';
    return `=== ${this.name} (pid ${this.pid}, ${this.running ? 'running' : 'exited'})\nlatest: ${latest.slice(0, 4000)}\nstderr: ${this.stderr.slice(-2000)}`;
  }
}

/** A NodePeer's figures for failure messages. */
export function describeNodePeer(name: string, peer: NodePeer): string {
  const stats = peer.stats();
  return `=== ${name}\n${JSON.stringify({ ...stats, engine: stats.engine && { ...stats.engine, peerDetails: undefined } }).slice(0, 4000)}`;
}
