/**
 * werift↔werift figures for the peer path: connection set-up time (offer → both data channels
 * open, signalling in-process) and the time to move one 1 MiB segment as the engine sends it
 * (DATA frames of `maxMessageBytes`, paused above a buffered high-water mark, resumed on
 * buffered-amount-low or a 50 ms poll), on a fresh connection ("cold") and right after on the
 * same one ("warm"). Both ends run in this process, so CPU is sender + receiver.
 *
 *   coral-netns node dist/measure/transfer.js [--runs N] [--segment-mib M]
 *
 * Prints a table on stderr and one JSON object on stdout.
 */
import { parseArgs } from 'node:util';
import type { DataChannelLike, PeerConnectionLike } from '@coral-cdn/p2p-engine';
import { encodeDataFrames } from '@coral-cdn/protocol';
import { createWeriftPeerConnection } from '@coral-cdn/node-peer';

interface Setting {
  messageBytes: number;
  highWaterBytes: number;
}

interface Pair {
  offerer: PeerConnectionLike;
  answerer: PeerConnectionLike;
  send: DataChannelLike;
  receive: DataChannelLike;
  setupMs: number;
}

const LOW_WATER_BYTES = 64 * 1024;
const DRAIN_POLL_MS = 50;

async function connect(advertisedMaxMessageBytes: number): Promise<Pair> {
  const startedAt = performance.now();
  const offerer = createWeriftPeerConnection({ maxMessageBytes: advertisedMaxMessageBytes });
  const answerer = createWeriftPeerConnection({ maxMessageBytes: advertisedMaxMessageBytes });
  offerer.onlocalcandidate = (candidate) => {
    if (candidate) void answerer.addRemoteCandidate(candidate);
  };
  answerer.onlocalcandidate = (candidate) => {
    if (candidate) void offerer.addRemoteCandidate(candidate);
  };
  const send = offerer.createDataChannel('coral');
  const sendOpen = new Promise<void>((resolve) => (send.onopen = resolve));
  const receiveOpen = new Promise<DataChannelLike>((resolve) => {
    answerer.ondatachannel = (channel) => {
      if (channel.readyState === 'open') resolve(channel);
      else channel.onopen = () => resolve(channel);
    };
  });
  const offer = await offerer.createOffer();
  const answer = await answerer.acceptOffer(offer);
  await offerer.acceptAnswer(answer);
  const [receive] = await Promise.all([receiveOpen, sendOpen]);
  return { offerer, answerer, send, receive, setupMs: performance.now() - startedAt };
}

/** Send `segment` as DATA frames with the engine's backpressure; resolves when all arrived. */
async function transfer(pair: Pair, segment: Uint8Array, setting: Setting): Promise<number> {
  const { send, receive } = pair;
  let received = 0;
  const arrived = new Promise<void>((resolve) => {
    receive.onmessage = (data) => {
      received += data.byteLength - 14;
      if (received >= segment.byteLength) resolve();
    };
  });
  let wake: (() => void) | null = null;
  send.bufferedAmountLowThreshold = LOW_WATER_BYTES;
  send.onbufferedamountlow = () => wake?.();
  const startedAt = performance.now();
  for (const frame of encodeDataFrames(1, segment, 0, setting.messageBytes)) {
    while (send.bufferedAmount > setting.highWaterBytes) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, DRAIN_POLL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
    send.send(frame);
  }
  await arrived;
  return performance.now() - startedAt;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string' }, 'segment-mib': { type: 'string' } },
  });
  const runs = Number(values.runs ?? 7);
  const segmentBytes = Math.round(Number(values['segment-mib'] ?? 1) * 1024 * 1024);
  if (!Number.isInteger(runs) || runs < 1 || !(segmentBytes > 0)) {
    process.stderr.write('usage: transfer.js [--runs N>=1] [--segment-mib M>0]\n');
    process.exit(2);
  }
  const segment = new Uint8Array(segmentBytes);
  for (let index = 0; index < segment.byteLength; index++) segment[index] = (index * 31) & 0xff;
  const settings: Setting[] = [
    { messageBytes: 16 * 1024, highWaterBytes: 256 * 1024 },
    { messageBytes: 64 * 1024, highWaterBytes: 256 * 1024 },
    { messageBytes: 64 * 1024, highWaterBytes: 1024 * 1024 },
    { messageBytes: 256 * 1024, highWaterBytes: 1024 * 1024 },
  ];
  const results = [];
  const setups: number[] = [];
  for (const setting of settings) {
    const cold: number[] = [];
    const warm: number[] = [];
    const cpuMsPerMiB: number[] = [];
    for (let run = 0; run < runs; run++) {
      const pair = await connect(Math.max(64 * 1024, setting.messageBytes));
      setups.push(pair.setupMs);
      const cpuBefore = process.cpuUsage();
      cold.push(await transfer(pair, segment, setting));
      warm.push(await transfer(pair, segment, setting));
      const cpu = process.cpuUsage(cpuBefore);
      cpuMsPerMiB.push((cpu.user + cpu.system) / 1000 / ((2 * segmentBytes) / 1024 / 1024));
      pair.offerer.close();
      pair.answerer.close();
    }
    const mibPerSec = (ms: number[]) => segmentBytes / 1024 / 1024 / (median(ms) / 1000);
    results.push({
      messageBytes: setting.messageBytes,
      highWaterBytes: setting.highWaterBytes,
      coldMs: round(median(cold)),
      warmMs: round(median(warm)),
      coldMiBPerSec: round(mibPerSec(cold), 2),
      warmMiBPerSec: round(mibPerSec(warm), 2),
      cpuMsPerMiB: round(median(cpuMsPerMiB)),
    });
  }
  const sortedSetups = [...setups].sort((a, b) => a - b);
  const report = {
    segmentBytes,
    runs,
    setupMs: {
      median: round(median(setups)),
      p90: round(sortedSetups[Math.floor(sortedSetups.length * 0.9)]!),
      max: round(sortedSetups[sortedSetups.length - 1]!),
      samples: setups.length,
    },
    transfers: results,
    loadAverage: (await import('node:os')).loadavg().map((value) => round(value, 2)),
  };
  process.stderr.write(
    `set-up: median ${report.setupMs.median} ms, p90 ${report.setupMs.p90} ms (${setups.length} connections)\n` +
      'message  high-water  cold ms  cold MiB/s  warm ms  warm MiB/s  CPU ms/MiB\n' +
      results
        .map(
          (r) =>
            `${String(r.messageBytes / 1024).padStart(4)}K   ${String(r.highWaterBytes / 1024).padStart(6)}K  ${String(r.coldMs).padStart(7)}  ${String(r.coldMiBPerSec).padStart(10)}  ${String(r.warmMs).padStart(7)}  ${String(r.warmMiBPerSec).padStart(10)}  ${String(r.cpuMsPerMiB).padStart(10)}`,
        )
        .join('\n') +
      '\n',
  );
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0);
}

void main();
