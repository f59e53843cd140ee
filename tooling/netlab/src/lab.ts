import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { tiedToParent } from '@coral-cdn/test-support';
import { randomBytes } from 'node:crypto';
import { ensureDelayProgram } from './delay.js';
import { LabError } from './errors.js';
import {
  addressesOf,
  DOWNLINK_QUEUE,
  homeCommands,
  shapingCommands,
  UPLINK_QUEUE,
  validateSpec,
  wanCommands,
  type Argv,
  type HomeAddresses,
  type HomeSpec,
  type LabAddresses,
  type LabSpec,
} from './plan.js';
import { registerLab, teardownLab, teardownStaleLabs } from './teardown.js';

export interface ExecResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface LabOptions {
  homes: HomeSpec[];
  /** Default: 6 random characters. Namespaces are named `coral-lab-<runId>-…`. */
  runId?: string;
}

export interface Lab {
  readonly runId: string;
  readonly addresses: LabAddresses;
  /** Where services listen to be on the lab's public network (in the current namespace). */
  readonly servicesIp: string;
  home(index: number): HomeAddresses;
  /** Run a command in home `index`'s host namespace (1-based) and wait for it. */
  execInHome(index: number, argv: Argv, timeoutMs?: number): Promise<ExecResult>;
  /** Start a long-lived process in home `index`; it is killed by `destroy()`. */
  spawnInHome(index: number, command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Remove everything (processes, namespaces). Idempotent. */
  destroy(): void;
}

/**
 * The lab needs root (network namespaces, iptables, tc) and must be made from a private
 * network namespace (`coral-netns`): its public bridge gets a leg in the current namespace,
 * which must not be the machine's own.
 */
export function checkLabAllowed(): void {
  if (process.getuid?.() !== 0)
    throw new LabError(
      'the network lab needs root (network namespaces, iptables, tc); it is never skipped',
    );
  if (process.env.CORAL_NETNS !== '1')
    throw new LabError(
      'the network lab runs inside a private network namespace: start the run through `coral-netns` ' +
        '(e.g. `npx coral-netns npx vitest run`)',
    );
  const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    throw new LabError(
      `network namespaces are not permitted here (${probe.error?.message ?? probe.stderr.trim()}): ` +
        'the lab needs iproute2 and CAP_SYS_ADMIN',
    );
  const iptables = spawnSync('iptables', ['--version'], { encoding: 'utf8' });
  if (iptables.error || iptables.status !== 0)
    throw new LabError(
      'the network lab needs iptables (apt-get install iptables, or `npm run preflight`)',
    );
}

function run(argv: Argv): void {
  const [command, ...args] = argv;
  const result = spawnSync(command!, args, { encoding: 'utf8', timeout: 20_000 });
  if (result.error || result.status !== 0)
    throw new LabError(
      `lab setup failed: \`${argv.join(' ')}\`: ${result.error?.message ?? result.stderr.trim()}`,
    );
}

/** A free third octet for 198.18.X.0/24: not used by another lab in this namespace. */
function pickPublicOctet(runId: string): number {
  const used = spawnSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' }).stdout ?? '';
  let octet = [...runId].reduce((sum, ch) => (sum * 31 + ch.charCodeAt(0)) % 256, 7);
  for (let tries = 0; tries < 256; tries++, octet = (octet + 1) % 256)
    if (!used.includes(`198.18.${octet}.`)) return octet;
  throw new LabError('no free 198.18.X.0/24 for the lab');
}

/** Resolves when the delay program has bound its queue (its first line); rejects if it exits. */
function untilReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) =>
      reject(new LabError(`the delay program exited with ${code}: ${stderr.trim()}`)),
    );
  });
}

export async function createLab(options: LabOptions): Promise<Lab> {
  checkLabAllowed();
  teardownStaleLabs();
  const runId = options.runId ?? randomBytes(3).toString('hex');
  const spec: LabSpec = { runId, publicOctet: pickPublicOctet(runId), homes: options.homes };
  validateSpec(spec);
  const needsDelay = spec.homes.some((home) => (home.delayMs ?? 0) > 0);
  const delayProgram = needsDelay ? ensureDelayProgram() : undefined;
  const addresses = addressesOf(spec);
  const children = new Set<ChildProcess>();
  registerLab(runId);
  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    teardownLab(runId);
  };
  const startIn = (
    ns: string,
    command: string,
    args: string[],
    spawnOptions: SpawnOptions = {},
  ) => {
    // `ip netns exec` execs the command itself, so the child's PID is the command's.
    const child = spawn(...tiedToParent('ip', ['netns', 'exec', ns, command, ...args]), {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...spawnOptions,
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  const ready: Array<Promise<void>> = [];
  try {
    for (const argv of wanCommands(spec)) run(argv);
    spec.homes.forEach((home, i) => {
      for (const argv of homeCommands(spec, i + 1)) run(argv);
      for (const argv of shapingCommands(spec, i + 1)) run(argv);
      if (home.delayMs && delayProgram) {
        const ns = addresses.homes[i]!.routerNs;
        const delay = [String(home.delayMs), String(home.jitterMs ?? 0)];
        for (const queue of [DOWNLINK_QUEUE, UPLINK_QUEUE])
          ready.push(untilReady(startIn(ns, delayProgram, [String(queue), ...delay])));
      }
    });
    await Promise.all(ready);
  } catch (error) {
    destroy();
    throw error;
  }
  const homeAt = (index: number) => {
    const home = addresses.homes[index - 1];
    if (!home) throw new RangeError(`the lab has no home ${index} (1..${addresses.homes.length})`);
    return home;
  };
  return {
    runId,
    addresses,
    servicesIp: addresses.servicesIp,
    home: homeAt,
    // Not spawnSync: the caller's own servers (on servicesIp) must keep answering meanwhile.
    execInHome: (index, argv, timeoutMs = 30_000) =>
      new Promise<ExecResult>((resolve) => {
        const [command, ...args] = argv;
        const child = startIn(homeAt(index).hostNs, command!, args);
        let stdout = '';
        let stderr = '';
        child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.once('exit', (status) => {
          clearTimeout(timer);
          resolve({ status, stdout, stderr });
        });
      }),
    spawnInHome: (index, command, args, spawnOptions) =>
      startIn(homeAt(index).hostNs, command, args, spawnOptions),
    destroy,
  };
}
