import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

/**
 * A worker thread playing the hostile client of the padded-frame benchmark: `connections`
 * sockets, each sending a schema-valid ping padded with `extraKeys` keys every
 * `intervalMs`, and opening a new socket whenever the tracker closes one (it does after
 * `MAX_STRIKES` refused frames). Counts what it sent and how often it was closed.
 */
export interface AttackerData {
  url: string;
  connections: number;
  extraKeys: number;
  intervalMs: number;
}

export interface AttackerCounts {
  framesSent: number;
  closes: number;
}

const data = workerData as AttackerData;
const padded: Record<string, unknown> = { type: 'ping', t: 1 };
for (let i = 0; i < data.extraKeys; i++) padded[`k${i}`] = 0;
const frame = JSON.stringify(padded);
const counts: AttackerCounts = { framesSent: 0, closes: 0 };
let stopping = false;

function attack(): void {
  const socket = new WebSocket(data.url);
  let timer: NodeJS.Timeout | undefined;
  socket.on('open', () => {
    timer = setInterval(() => {
      if (socket.readyState !== WebSocket.OPEN) return;
      socket.send(frame);
      counts.framesSent++;
    }, data.intervalMs);
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    clearInterval(timer);
    counts.closes++;
    if (!stopping) setImmediate(attack);
  });
}

for (let i = 0; i < data.connections; i++) attack();
parentPort!.on('message', (command: 'count' | 'stop') => {
  if (command === 'stop') stopping = true;
  parentPort!.postMessage({ ...counts });
});
