import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  freePort,
  generateClip,
  keySlot,
  makeTempDir,
  startRedis,
  startRedisCluster,
  tiedToParent,
  waitFor,
  descendantPids,
} from '../src/index.js';

function redisCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${command}\r\n`));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString());
    });
    socket.once('error', reject);
  });
}

describe('test support', () => {
  it('starts, kills and restarts a real redis-server', async () => {
    const redis = await startRedis();
    try {
      expect(await redisCommand(redis.port, 'SET a 1')).toBe('+OK\r\n');
      await redis.kill();
      await expect(redisCommand(redis.port, 'PING')).rejects.toThrow();
      await redis.restart();
      expect(await redisCommand(redis.port, 'PING')).toBe('+PONG\r\n');
      // No persistence: the restart lost the key.
      expect(await redisCommand(redis.port, 'GET a')).toBe('$-1\r\n');
    } finally {
      await redis.stop();
    }
  });

  it('generates a clip of the asked duration with ffmpeg', () => {
    const dir = makeTempDir();
    try {
      const path = generateClip({ path: join(dir.path, 'clip.mp4'), durationSec: 2 });
      const probe = spawnSync(
        'ffprobe',
        ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path],
        {
          encoding: 'utf8',
        },
      );
      expect(Number(probe.stdout)).toBeGreaterThan(1.9);
      expect(Number(probe.stdout)).toBeLessThan(2.2);
    } finally {
      dir.remove();
    }
  });

  it('finds distinct free ports and times out waits with a clear message', async () => {
    expect(await freePort()).toBeGreaterThan(0);
    await expect(waitFor('never', () => false, { timeoutMs: 100 })).rejects.toThrow(
      /waiting for never/,
    );
  });
});

describe('tiedToParent', () => {
  /** A node parent that starts `argv`; resolves with the parent and the child's PID. */
  async function parentOf(argv: [string, string[]]) {
    const script = `require('node:child_process').spawn(...${JSON.stringify(argv)}); setInterval(() => {}, 1e3)`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    // Until it runs `sleep` itself: setpriv has set the signal by then.
    const childPid = await waitFor('the child', () => {
      const [pid] = descendantPids(parent.pid!);
      const ran = pid !== undefined && readFileSync(`/proc/${pid}/comm`, 'utf8') === 'sleep\n';
      return ran ? pid : undefined;
    });
    return { parent, childPid };
  }
  /** Neither gone nor a zombie waiting for its new parent to reap it. */
  const running = (pid: number) =>
    existsSync(`/proc/${pid}/stat`) &&
    !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

  it('has the kernel kill the child when its parent is SIGKILLed; a plain spawn leaves it', async () => {
    const plain = await parentOf(['sleep', ['30']]);
    plain.parent.kill('SIGKILL');
    await once(plain.parent, 'exit');
    expect(running(plain.childPid)).toBe(true);
    process.kill(plain.childPid, 'SIGKILL');

    const tied = await parentOf(tiedToParent('sleep', ['30']));
    tied.parent.kill('SIGKILL');
    await waitFor('the tied child to die', () => !running(tied.childPid), { timeoutMs: 10_000 });
  });
});

describe('redis cluster', () => {
  it('starts a 3-master cluster that routes keys by slot, and stops idempotently', async () => {
    const cluster = await startRedisCluster();
    try {
      expect(cluster.masters).toHaveLength(3);
      const slots = cluster.masters.flatMap((m) => m.slots).reduce((n, [a, b]) => n + b - a + 1, 0);
      expect(slots).toBe(16_384);
      // The slot Redis computes is ours, hash tags included; a key on another master is MOVED.
      for (const key of ['a', 'coral:{room-1}:m', 'coral:{room-1}:seen', '{}x', 'é']) {
        const port = cluster.portOfKey(key);
        expect(await redisCommand(port, `CLUSTER KEYSLOT ${key}`)).toBe(`:${keySlot(key)}\r\n`);
        expect(await redisCommand(port, `SET ${key} 1`)).toBe('+OK\r\n');
        const other = cluster.masters.find((m) => m.port !== port)!.port;
        expect(await redisCommand(other, `GET ${key}`)).toMatch(/^-MOVED /);
      }
    } finally {
      await cluster.stop();
      await cluster.stop();
    }
    for (const master of cluster.masters) {
      await expect(redisCommand(master.port, 'PING')).rejects.toThrow();
    }
  });
});
