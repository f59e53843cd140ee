/**
 * Two werift peers of `path-peer.js` in two homes of a lab, their signalling relayed between
 * them (the offer and the offerer's candidates to the answerer, the answer and the answerer's
 * candidates back): what `path.js` and `open.js` measure on.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { Lab } from '@coral-cdn/netlab';

const PEER_SCRIPT = fileURLToPath(new URL('./path-peer.js', import.meta.url));

/** Call `onLine` with each JSON line `child` prints (werift's own output is skipped). */
export function jsonLines(
  child: ChildProcess,
  onLine: (line: Record<string, unknown>) => void,
): void {
  createInterface({ input: child.stdout! }).on('line', (text) => {
    try {
      onLine(JSON.parse(text) as Record<string, unknown>);
    } catch {
      // werift's own output
    }
  });
}

export interface PeerPair {
  offerer: ChildProcess;
  answerer: ChildProcess;
  kill: () => void;
}

/**
 * The offerer in home `from`, the answerer in home `to` (1-based), with `env` (ICE servers as
 * JSON in CORAL_ICE_SERVERS); `stderr` gets each side's stderr (discarded without it).
 */
export function spawnPeerPair(
  lab: Lab,
  from: number,
  to: number,
  env: NodeJS.ProcessEnv,
  stderr?: (role: 'offer' | 'answer') => NodeJS.WritableStream,
): PeerPair {
  const spawn = (home: number, role: 'offer' | 'answer') => {
    const child = lab.spawnInHome(home, process.execPath, [PEER_SCRIPT, role], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (stderr) child.stderr!.pipe(stderr(role));
    else child.stderr!.resume();
    return child;
  };
  const offerer = spawn(from, 'offer');
  const answerer = spawn(to, 'answer');
  const relay = (child: ChildProcess, types: string[], to: ChildProcess) =>
    jsonLines(child, (line) => {
      if (types.includes(String(line.type))) to.stdin!.write(`${JSON.stringify(line)}\n`);
    });
  relay(offerer, ['offer', 'candidate'], answerer);
  relay(answerer, ['answer', 'candidate'], offerer);
  return {
    offerer,
    answerer,
    kill: () => {
      offerer.kill('SIGKILL');
      answerer.kill('SIGKILL');
    },
  };
}
