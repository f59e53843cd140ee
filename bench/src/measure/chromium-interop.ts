/**
 * werift ↔ Chromium over one data channel: which message sizes each side accepts, and how fast
 * a 1 MiB segment moves each way in 64 KiB messages (256 KiB high-water mark on both sides),
 * on a fresh connection and again right after.
 * Chromium (Debian's `chromium`, or CHROMIUM_PATH) is driven over the DevTools protocol: no
 * Playwright needed.
 *
 *   coral-netns node dist/measure/chromium-interop.js [--runs N]
 *
 * Inside the namespace Chromium uses loopback candidates: it runs with
 * --allow-loopback-in-peer-connection and camera/microphone permission for the page (without
 * it Chromium filters every candidate out). Prints one JSON object on stdout.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DataChannelLike } from '@coral-cdn/p2p-engine';
import WebSocket from 'ws';
import { createWeriftPeerConnection } from '@coral-cdn/node-peer';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const MESSAGE_BYTES = 64 * 1024;
const SEGMENT_BYTES = 1024 * 1024;

/** The page side: one RTCPeerConnection answering, helpers on `window`. */
const PAGE = `<!doctype html><script>
window.received = 0; window.messages = []; window.candidates = [];
window.answer = async (offer) => {
  const pc = new RTCPeerConnection({ iceServers: [] });
  window.pc = pc;
  pc.onicecandidate = (e) => { if (e.candidate) window.candidates.push(e.candidate.toJSON()); };
  pc.ondatachannel = (e) => {
    const ch = e.channel; ch.binaryType = 'arraybuffer'; window.ch = ch;
    ch.onmessage = (m) => { window.received += m.data.byteLength; window.messages.push(m.data.byteLength); };
  };
  await pc.setRemoteDescription({ type: 'offer', sdp: offer });
  await pc.setLocalDescription(await pc.createAnswer());
  return pc.localDescription.sdp;
};
window.offer = async () => {
  const pc = new RTCPeerConnection({ iceServers: [] });
  window.pc = pc; window.candidates = []; window.received = 0;
  pc.onicecandidate = (e) => { if (e.candidate) window.candidates.push(e.candidate.toJSON()); };
  const ch = pc.createDataChannel('coral'); ch.binaryType = 'arraybuffer'; window.ch = ch;
  window.opened = new Promise((r) => (ch.onopen = r));
  ch.onmessage = (m) => { window.received += m.data.byteLength; };
  await pc.setLocalDescription(await pc.createOffer());
  return pc.localDescription.sdp;
};
window.trySend = (size) => { try { window.ch.send(new Uint8Array(size)); return 'ok'; } catch (e) { return String(e.name + ': ' + e.message); } };
window.sendSegment = async (total, chunk, high) => {
  const ch = window.ch; ch.bufferedAmountLowThreshold = 65536; let sent = 0;
  while (sent < total) {
    while (ch.bufferedAmount > high) await new Promise((r) => { ch.onbufferedamountlow = r; setTimeout(r, 50); });
    const n = Math.min(chunk, total - sent); ch.send(new Uint8Array(n)); sent += n;
  }
};
</script>`;

class Cdp {
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();
  constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as {
        id?: number;
        result?: unknown;
        error?: unknown;
      };
      if (message.id !== undefined) this.pending.get(message.id)?.(message.error ?? message.result);
    });
  }
  static async open(url: string): Promise<Cdp> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return new Cdp(socket);
  }
  send(method: string, params: object = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }
  async evaluate<T>(expression: string): Promise<T> {
    const result = (await this.send('Runtime.evaluate', {
      expression,
      awaitPromise: true,
      returnByValue: true,
    })) as { result?: { value?: T }; exceptionDetails?: unknown };
    if (result.exceptionDetails) throw new Error(JSON.stringify(result.exceptionDetails));
    return result.result?.value as T;
  }
  close(): void {
    this.socket.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string' } } });
  const runs = Number(values.runs ?? 3);
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const profile = mkdtempSync(join(tmpdir(), 'coral-chromium-'));
  const chromium = spawn(
    process.env.CHROMIUM_PATH ?? 'chromium',
    [
      '--headless=new',
      '--no-sandbox',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      '--allow-loopback-in-peer-connection',
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const devtoolsUrl = await new Promise<string>((resolve, reject) => {
    let text = '';
    chromium.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (match) resolve(match[1]!);
    });
    chromium.once('exit', (code) => reject(new Error(`chromium exited ${code}: ${text}`)));
  });
  const cleanup = () => {
    chromium.kill('SIGKILL');
    server.close();
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    const browser = await Cdp.open(devtoolsUrl);
    await browser.send('Browser.grantPermissions', {
      origin: pageUrl.slice(0, -1),
      permissions: ['audioCapture', 'videoCapture'],
    });
    const { targetId } = (await browser.send('Target.createTarget', { url: pageUrl })) as {
      targetId: string;
    };
    const port = new URL(devtoolsUrl).port;
    const page = await Cdp.open(`ws://127.0.0.1:${port}/devtools/page/${targetId}`);
    await sleep(500);

    const results = [];
    for (let run = 0; run < runs; run++) {
      await page.send('Page.reload');
      await sleep(500);
      const werift = createWeriftPeerConnection();
      const startedAt = performance.now();
      const channel: DataChannelLike = werift.createDataChannel('coral');
      const opened = new Promise<void>((resolve) => (channel.onopen = resolve));
      const localCandidates: unknown[] = [];
      werift.onlocalcandidate = (candidate) => {
        if (candidate) localCandidates.push(candidate);
      };
      const offer = await werift.createOffer();
      const answer = await page.evaluate<string>(`window.answer(${JSON.stringify(offer)})`);
      // Absent from an answer means 64 KiB (RFC 8841), which is what werift then assumes.
      const chromiumMaxMessage = Number(/a=max-message-size:(\d+)/.exec(answer)?.[1] ?? 0) || null;
      await werift.acceptAnswer(answer);
      await sleep(100);
      for (const candidate of localCandidates) {
        await page.evaluate(`window.pc.addIceCandidate(${JSON.stringify(candidate)})`);
      }
      const remote =
        await page.evaluate<
          Array<{ candidate: string; sdpMid: string | null; sdpMLineIndex: number | null }>
        >('window.candidates');
      for (const candidate of remote) await werift.addRemoteCandidate(candidate);
      await opened;
      const setupMs = performance.now() - startedAt;
      await sleep(200);

      // What each side accepts.
      const fromChromium: Record<string, string> = {};
      for (const size of [MESSAGE_BYTES, MESSAGE_BYTES + 1, 256 * 1024]) {
        fromChromium[size] = await page.evaluate<string>(`window.trySend(${size})`);
      }
      const fromWerift: Record<string, string> = {};
      for (const size of [MESSAGE_BYTES, 256 * 1024, 256 * 1024 + 1]) {
        try {
          channel.send(new Uint8Array(size));
          fromWerift[size] = 'ok';
        } catch (error) {
          fromWerift[size] = String(error);
        }
      }
      await sleep(500);
      const largestReceivedByChromium = Math.max(
        ...(await page.evaluate<number[]>('window.messages')),
      );

      // 1 MiB in 64 KiB messages each way, twice: a fresh connection ("cold"), then "warm".
      const weriftToChromium = async () => {
        await page.evaluate('window.received = 0; window.messages = []');
        const startedAt = performance.now();
        let sent = 0;
        while (sent < SEGMENT_BYTES) {
          while (channel.bufferedAmount > 256 * 1024) await sleep(5);
          channel.send(new Uint8Array(MESSAGE_BYTES));
          sent += MESSAGE_BYTES;
        }
        while ((await page.evaluate<number>('window.received')) < SEGMENT_BYTES) await sleep(5);
        return performance.now() - startedAt;
      };
      const chromiumToWerift = async () => {
        let received = 0;
        const arrived = new Promise<void>((resolve) => {
          channel.onmessage = (data) => {
            received += data.byteLength;
            if (received >= SEGMENT_BYTES) resolve();
          };
        });
        const startedAt = performance.now();
        await page.evaluate(
          `window.sendSegment(${SEGMENT_BYTES}, ${MESSAGE_BYTES}, ${256 * 1024})`,
        );
        await arrived;
        return performance.now() - startedAt;
      };
      const mibPerSec = (ms: number) => round(SEGMENT_BYTES / 1024 / 1024 / (ms / 1000));
      const toChromium = [await weriftToChromium(), await weriftToChromium()].map(mibPerSec);
      const toWerift = [await chromiumToWerift(), await chromiumToWerift()].map(mibPerSec);
      werift.close();
      results.push({
        setupMs: Math.round(setupMs),
        chromiumAnswerMaxMessageBytes: chromiumMaxMessage,
        chromiumSends: fromChromium,
        weriftSends: fromWerift,
        largestReceivedByChromium,
        weriftToChromiumMiBPerSec: { cold: toChromium[0], warm: toChromium[1] },
        chromiumToWeriftMiBPerSec: { cold: toWerift[0], warm: toWerift[1] },
      });
    }
    // The other way round: Chromium offers, werift answers (the engine resolves offer glare by
    // peer id, so either side may offer).
    await page.send('Page.reload');
    await sleep(500);
    const answerer = createWeriftPeerConnection();
    const reverseStartedAt = performance.now();
    const answererCandidates: unknown[] = [];
    answerer.onlocalcandidate = (candidate) => {
      if (candidate) answererCandidates.push(candidate);
    };
    const answererChannel = new Promise<DataChannelLike>((resolve) => {
      answerer.ondatachannel = (channel) => {
        if (channel.readyState === 'open') resolve(channel);
        else channel.onopen = () => resolve(channel);
      };
    });
    const chromiumOffer = await page.evaluate<string>('window.offer()');
    const weriftAnswer = await answerer.acceptOffer(chromiumOffer);
    await page.evaluate(
      `window.pc.setRemoteDescription(${JSON.stringify({ type: 'answer', sdp: weriftAnswer })})`,
    );
    await sleep(100);
    for (const candidate of answererCandidates) {
      await page.evaluate(`window.pc.addIceCandidate(${JSON.stringify(candidate)})`);
    }
    for (const candidate of await page.evaluate<
      Array<{ candidate: string; sdpMid: string | null; sdpMLineIndex: number | null }>
    >('window.candidates')) {
      await answerer.addRemoteCandidate(candidate);
    }
    const reverseChannel = await answererChannel;
    await page.evaluate('window.opened');
    const reverseSetupMs = performance.now() - reverseStartedAt;
    let reverseReceived = 0;
    const reverseArrived = new Promise<void>((resolve) => {
      reverseChannel.onmessage = (data) => {
        reverseReceived += data.byteLength;
        resolve();
      };
    });
    await page.evaluate(`window.trySend(${MESSAGE_BYTES})`);
    await reverseArrived;
    reverseChannel.send(new Uint8Array(MESSAGE_BYTES));
    while ((await page.evaluate<number>('window.received')) < MESSAGE_BYTES) await sleep(5);
    answerer.close();
    const chromiumOffers = {
      setupMs: Math.round(reverseSetupMs),
      weriftReceivedBytes: reverseReceived,
      chromiumReceivedBytes: await page.evaluate<number>('window.received'),
    };
    page.close();
    browser.close();
    process.stdout.write(
      `${JSON.stringify({ messageBytes: MESSAGE_BYTES, runs: results, chromiumOffers })}\n`,
    );
  } finally {
    cleanup();
  }
  process.exit(0);
}

void main();
