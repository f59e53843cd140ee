// Who listens on a TCP port: `npm start` uses it to refuse to start over a running stack, and
// its test to find every service's PID. Linux only (/proc); elsewhere the owner is unknown.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';

/** The socket inodes listening on `port` in a /proc/net/tcp{,6} table. Pure. */
export function listeningInodes(table, port) {
  const inodes = [];
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const localPort = Number.parseInt(fields[1].split(':')[1] ?? '', 16);
    // State 0A is LISTEN.
    if (localPort === port && fields[3] === '0A') inodes.push(fields[9]);
  }
  return inodes;
}

function readOr(path, fallback) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

/** `{ pid, command }` of the process listening on `port` (this network namespace), or null. */
export function portOwner(port) {
  const inodes = new Set(
    ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) => listeningInodes(readOr(file, ''), port)),
  );
  if (inodes.size === 0) return null;
  let pids = [];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let fds = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) {
        const command = readOr(`/proc/${pid}/cmdline`, '').split('\0').filter(Boolean).join(' ');
        return { pid: Number(pid), command };
      }
    }
  }
  return null;
}

/** True when something accepts TCP connections on host:port. */
export function isListening(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (listening) => {
      socket.destroy();
      resolve(listening);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
