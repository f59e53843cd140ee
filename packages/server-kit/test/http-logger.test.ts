import { request, createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  addressUrl,
  closeGracefully,
  createLogger,
  createMetricsRegistry,
  listen,
} from '../src/index.js';

describe('logger', () => {
  it('writes one JSON object per line, filtered by level, with bound fields and errors', () => {
    const lines: string[] = [];
    const logger = createLogger({
      service: 'edge',
      level: 'info',
      write: (line) => lines.push(line),
      now: () => new Date(0),
    });
    logger.debug('hidden');
    logger.child({ region: 'eu' }).warn('origin slow', { latencyMs: 900, err: new Error('boom') });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toEqual({
      ts: '1970-01-01T00:00:00.000Z',
      level: 'warn',
      service: 'edge',
      msg: 'origin slow',
      region: 'eu',
      latencyMs: 900,
      err: { name: 'Error', message: 'boom' },
    });
  });
});

describe('metrics', () => {
  it('exposes process metrics labelled with the service', async () => {
    const text = await createMetricsRegistry('tracker').metrics();
    expect(text).toContain('coral_process_cpu_seconds_total');
    expect(text).toContain('service="tracker"');
  });
});

describe('closeGracefully', () => {
  it('lets an in-flight request finish before the server closes', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const server = createServer((_req, res) => {
      void released.then(() => res.end('done'));
    });
    const url = addressUrl(await listen(server, 0, '127.0.0.1'));
    const body = new Promise<string>((resolve, reject) => {
      request(url, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = closeGracefully(server, 5000);
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(isClosed).toBe(false);
    release();
    expect(await body).toBe('done');
    await closed;
    expect(server.listening).toBe(false);
  });
});
