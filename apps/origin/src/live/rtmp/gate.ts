import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '@coral-cdn/server-kit';
import { AmfError, decodeAmf0, encodeAmf0, type AmfValue } from './amf0.js';
import {
  ChunkReader,
  MSG_COMMAND_AMF0,
  MSG_COMMAND_AMF3,
  MSG_SET_PEER_BANDWIDTH,
  MSG_WINDOW_ACK_SIZE,
  RtmpProtocolError,
  writeMessage,
  type RtmpMessage,
} from './chunks.js';

/**
 * A gate in front of ffmpeg's RTMP listener, which takes any stream name. The gate answers
 * the handshake and the commands up to `publish` itself, compares the published name with
 * the channel's key, and only then connects to ffmpeg (on loopback), replays the client's
 * bytes after the handshake verbatim (so both ends agree on every chunk header), and pipes.
 * A wrong key never reaches ffmpeg: its listener stays free for the real publisher.
 */
export interface RtmpGateOptions {
  readonly host: string;
  readonly port: number;
  /** The stream key a publisher must name. */
  readonly key: () => string;
  readonly logger: Logger;
  /** Time from connect to a verified publish. */
  readonly authTimeoutMs?: number;
  /**
   * Connections waiting to authenticate at once; a newcomer beyond it pushes out the oldest
   * (a real publisher gets through in a few round trips; idle connections age first).
   */
  readonly maxPending?: number;
  /** How long to wait for ffmpeg's listener (it restarts between publishers). */
  readonly upstreamWaitMs?: number;
}

const HANDSHAKE_BYTES = 1536;
const MAX_COMMAND_BYTES = 64 * 1024;
const STREAM_ID = 1;

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Whether `name` is `key`, in constant time. */
export function streamKeyMatches(name: string, key: string): boolean {
  return timingSafeEqual(digest(name), digest(key));
}

function command(streamId: number, values: AmfValue[]): Buffer {
  return writeMessage(streamId === 0 ? 3 : 5, {
    type: MSG_COMMAND_AMF0,
    streamId,
    payload: encodeAmf0(values),
  });
}

function status(level: 'status' | 'error', code: string, description: string): Buffer {
  return command(STREAM_ID, ['onStatus', 0, null, { level, code, description }]);
}

/** Bytes of a socket, read in exact amounts. */
class SocketBytes {
  private buffered: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private ended = false;

  constructor(private readonly socket: Socket) {
    socket.on('data', (data: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, data]);
      this.waiter?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.waiter?.();
    });
  }

  async read(count: number): Promise<Buffer> {
    while (this.buffered.length < count) {
      if (this.ended) throw new RtmpProtocolError('the connection closed mid-handshake');
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = null;
    }
    const bytes = this.buffered.subarray(0, count);
    this.buffered = this.buffered.subarray(count);
    return bytes;
  }

  /** Whatever arrives next (or what is buffered already). */
  async next(): Promise<Buffer> {
    while (this.buffered.length === 0) {
      if (this.ended) throw new RtmpProtocolError('the connection closed before publishing');
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = null;
    }
    const bytes = this.buffered;
    this.buffered = Buffer.alloc(0);
    return bytes;
  }

  /** Stop collecting: the rest goes to whoever pipes the socket. Returns what was left. */
  release(): Buffer {
    this.socket.removeAllListeners('data');
    this.socket.pause();
    const rest = this.buffered;
    this.buffered = Buffer.alloc(0);
    return rest;
  }
}

export class RtmpGate {
  private server: Server | null = null;
  private upstreamPort: number | null = null;
  private readonly pending = new Set<Socket>();
  private publisher: { client: Socket; upstream: Socket } | null = null;
  private destroyed = false;

  constructor(private readonly options: RtmpGateOptions) {}

  get port(): number {
    return this.options.port;
  }

  /** Where ffmpeg listens now (null: not listening). */
  setUpstream(port: number | null): void {
    this.upstreamPort = port;
  }

  async listen(): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.options.logger.warn('rtmp gate error', { err: error }));
    this.server = server;
  }

  /** Close the listener and every connection. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const socket of this.pending) socket.destroy();
    this.pending.clear();
    this.publisher?.client.destroy();
    this.publisher?.upstream.destroy();
    this.publisher = null;
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.on('error', () => undefined);
    if (this.destroyed) {
      socket.destroy();
      return;
    }
    if (this.pending.size >= (this.options.maxPending ?? 8)) {
      const oldest = this.pending.values().next().value;
      oldest?.destroy();
      if (oldest) this.pending.delete(oldest);
    }
    this.pending.add(socket);
    const timer = setTimeout(() => {
      this.options.logger.warn('rtmp push refused', { remote, reason: 'no publish in time' });
      socket.destroy();
    }, this.options.authTimeoutMs ?? 10_000);
    socket.once('close', () => {
      clearTimeout(timer);
      this.pending.delete(socket);
    });
    this.authenticate(socket)
      .then(async (replay) => {
        clearTimeout(timer);
        this.pending.delete(socket);
        if (replay === null) return;
        await this.forward(socket, replay, remote);
      })
      .catch((error: unknown) => {
        const reason =
          error instanceof RtmpProtocolError || error instanceof AmfError
            ? error.message
            : String(error);
        this.options.logger.warn('rtmp push refused', { remote, reason });
        socket.destroy();
      });
  }

  /**
   * Answer as an RTMP server until the client publishes. Resolves with every byte the client
   * sent after the handshake (to replay to ffmpeg) once the key matches, or null when refused.
   */
  private async authenticate(socket: Socket): Promise<Buffer | null> {
    const input = new SocketBytes(socket);
    const c0c1 = await input.read(1 + HANDSHAKE_BYTES);
    if (c0c1[0] !== 3) throw new RtmpProtocolError(`RTMP version ${c0c1[0]}`);
    const s1 = Buffer.concat([Buffer.alloc(8), randomBytes(HANDSHAKE_BYTES - 8)]);
    // S2 echoes C1. A zero version in S1 tells clients not to expect a digest handshake.
    socket.write(Buffer.concat([Buffer.from([3]), s1, c0c1.subarray(1)]));
    await input.read(HANDSHAKE_BYTES); // C2
    const reader = new ChunkReader(MAX_COMMAND_BYTES);
    const replay: Buffer[] = [];
    for (;;) {
      const data = await input.next();
      replay.push(data);
      for (const message of reader.push(data)) {
        const name = this.answer(socket, message);
        if (name === null) continue;
        if (!streamKeyMatches(name, this.options.key())) {
          socket.end(status('error', 'NetStream.Publish.BadName', 'wrong stream key'));
          this.options.logger.warn('rtmp push refused', {
            remote: socket.remoteAddress,
            reason: 'wrong stream key',
          });
          return null;
        }
        if (this.publisher !== null) {
          socket.end(status('error', 'NetStream.Publish.BadName', 'a publisher is live already'));
          return null;
        }
        // Later bytes (if any) arrive through the pipe; these include the publish itself.
        return Buffer.concat([...replay, input.release()]);
      }
    }
  }

  /** Answer one pre-publish message; the published stream name when it is `publish`. */
  private answer(socket: Socket, message: RtmpMessage): string | null {
    if (message.type !== MSG_COMMAND_AMF0 && message.type !== MSG_COMMAND_AMF3) {
      if (message.type >= 8) {
        throw new RtmpProtocolError(`message type ${message.type} before publish`);
      }
      return null; // protocol control: chunk size (the reader applied it), acks, pings
    }
    const payload =
      message.type === MSG_COMMAND_AMF3 ? message.payload.subarray(1) : message.payload;
    const [name, transaction, , ...args] = decodeAmf0(payload);
    const txn = typeof transaction === 'number' ? transaction : 0;
    switch (name) {
      case 'connect': {
        const ack = Buffer.alloc(4);
        ack.writeUInt32BE(2_500_000);
        const bandwidth = Buffer.from([0, 0x26, 0x25, 0xa0, 2]);
        socket.write(
          Buffer.concat([
            writeMessage(2, { type: MSG_WINDOW_ACK_SIZE, streamId: 0, payload: ack }),
            writeMessage(2, { type: MSG_SET_PEER_BANDWIDTH, streamId: 0, payload: bandwidth }),
            command(0, [
              '_result',
              txn,
              { fmsVer: 'FMS/3,0,1,123', capabilities: 31 },
              {
                level: 'status',
                code: 'NetConnection.Connect.Success',
                description: 'Connection succeeded.',
                objectEncoding: 0,
              },
            ]),
          ]),
        );
        return null;
      }
      case 'createStream':
        socket.write(command(0, ['_result', txn, null, STREAM_ID]));
        return null;
      case 'publish': {
        const stream = args[0];
        if (typeof stream !== 'string') throw new RtmpProtocolError('publish without a name');
        return stream;
      }
      default:
        if (txn > 0) socket.write(command(0, ['_result', txn, null]));
        return null;
    }
  }

  /** Replay the client's bytes to ffmpeg's listener and pipe the rest; one publisher at a time. */
  private async forward(client: Socket, replay: Buffer, remote: string): Promise<void> {
    const upstream = await this.connectUpstream();
    const session = { client, upstream };
    this.publisher = session;
    const end = () => {
      client.destroy();
      upstream.destroy();
      if (this.publisher === session) this.publisher = null;
    };
    client.once('close', end);
    upstream.once('close', end);
    upstream.on('error', () => undefined);
    // ffmpeg answers the replayed commands too: the client had its answers from the gate.
    upstream.resume();
    upstream.write(replay);
    client.pipe(upstream);
    client.resume();
    client.write(status('status', 'NetStream.Publish.Start', 'publishing'));
    this.options.logger.info('rtmp publisher accepted', { remote });
  }

  /** Connect to ffmpeg's listener and do the client side of the handshake. */
  private async connectUpstream(): Promise<Socket> {
    const deadline = Date.now() + (this.options.upstreamWaitMs ?? 10_000);
    for (;;) {
      if (this.destroyed) throw new RtmpProtocolError('the channel stopped');
      const port = this.upstreamPort;
      const socket = port === null ? null : await this.tryConnect(port).catch(() => null);
      if (socket) {
        socket.on('error', () => undefined);
        const input = new SocketBytes(socket);
        socket.write(
          Buffer.concat([Buffer.from([3]), Buffer.alloc(8), randomBytes(HANDSHAKE_BYTES - 8)]),
        );
        const s0s1 = await input.read(1 + HANDSHAKE_BYTES);
        await input.read(HANDSHAKE_BYTES); // S2
        socket.write(s0s1.subarray(1)); // C2 echoes S1
        input.release();
        return socket;
      }
      if (Date.now() > deadline) throw new RtmpProtocolError('the encoder is not listening');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private tryConnect(port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }
}
