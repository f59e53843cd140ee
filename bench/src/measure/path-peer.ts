/**
 * One werift peer of `path.js` (run in a lab home): `node path-peer.js offer|answer`, ICE
 * servers as JSON in CORAL_ICE_SERVERS. Signalling is JSON lines on stdin/stdout. Once the
 * channel is open, the offerer sends `segments` segments of `segmentBytes` one after another
 * as the engine sends them (64 KiB DATA frames, paused above 256 KiB buffered), waiting
 * `gapMs` between them; the answerer acknowledges each segment's last byte with one small
 * message. The offerer prints {"type":"open","ms"} and {"type":"segment","index","ms"} (send
 * start to acknowledgement).
 */
import { encodeDataFrames } from '@coral-cdn/protocol';
import { createWeriftPeerConnection } from '@coral-cdn/node-peer';
import type { DataChannelLike, IceCandidate } from '@coral-cdn/p2p-engine';
import { createInterface } from 'node:readline';

const MESSAGE_BYTES = 64 * 1024;
const HIGH_WATER_BYTES = 256 * 1024;
const LOW_WATER_BYTES = 64 * 1024;
const FRAME_HEADER_BYTES = 14;

interface Line {
  type: 'offer' | 'answer' | 'candidate' | 'plan';
  sdp?: string;
  candidate?: IceCandidate;
  segments?: number;
  segmentBytes?: number;
  gapMs?: number;
}

const print = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
const role = process.argv[2];
const pc = createWeriftPeerConnection({
  iceServers: JSON.parse(process.env.CORAL_ICE_SERVERS ?? '[]') as Array<{ urls: string }>,
});
pc.onlocalcandidate = (candidate) => {
  if (candidate) print({ type: 'candidate', candidate });
};

async function sendSegments(channel: DataChannelLike, plan: Line): Promise<void> {
  const segment = new Uint8Array(plan.segmentBytes!);
  let acked: (() => void) | null = null;
  channel.onmessage = () => acked?.();
  let wake: (() => void) | null = null;
  channel.bufferedAmountLowThreshold = LOW_WATER_BYTES;
  channel.onbufferedamountlow = () => wake?.();
  for (let index = 0; index < plan.segments!; index++) {
    const done = new Promise<void>((resolve) => (acked = resolve));
    const startedAt = performance.now();
    for (const frame of encodeDataFrames(index + 1, segment, 0, MESSAGE_BYTES)) {
      while (channel.bufferedAmount > HIGH_WATER_BYTES)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 50);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      channel.send(frame);
    }
    await done;
    print({ type: 'segment', index, ms: Math.round(performance.now() - startedAt) });
    await new Promise((resolve) => setTimeout(resolve, plan.gapMs));
  }
  print({ type: 'done' });
}

const lines = createInterface({ input: process.stdin });
if (role === 'offer') {
  const channel = pc.createDataChannel('coral');
  let plan: Line | null = null;
  let openedAt: number | null = null;
  const startedAt = performance.now();
  channel.onopen = () => {
    openedAt = performance.now();
    print({ type: 'open', ms: Math.round(openedAt - startedAt) });
    if (plan) void sendSegments(channel, plan);
  };
  print({ type: 'offer', sdp: await pc.createOffer() });
  for await (const text of lines) {
    const line = JSON.parse(text) as Line;
    if (line.type === 'answer') await pc.acceptAnswer(line.sdp!);
    if (line.type === 'candidate') await pc.addRemoteCandidate(line.candidate!);
    if (line.type === 'plan') {
      plan = line;
      if (openedAt !== null) void sendSegments(channel, plan);
    }
  }
} else {
  let segmentBytes = 0;
  pc.ondatachannel = (channel) => {
    let received = 0;
    channel.onmessage = (data) => {
      received += data.byteLength - FRAME_HEADER_BYTES;
      if (segmentBytes > 0 && received >= segmentBytes) {
        received -= segmentBytes;
        channel.send(new Uint8Array([1]));
      }
    };
  };
  for await (const text of lines) {
    const line = JSON.parse(text) as Line;
    if (line.type === 'plan') segmentBytes = line.segmentBytes!;
    if (line.type === 'offer') print({ type: 'answer', sdp: await pc.acceptOffer(line.sdp!) });
    if (line.type === 'candidate') await pc.addRemoteCandidate(line.candidate!);
  }
}
