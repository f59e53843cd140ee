import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '@coral-cdn/server-kit';
import type { CachedObject } from '../cache/cached-object.js';
import { FastLaneError } from '../errors.js';
import type { EdgeCounters } from '../stats.js';
import { parseHead, type FastHeaders } from './head.js';
import {
  COPY_BODY_BYTES,
  HttpDateClock,
  hitBytes,
  hitTail,
  hitTemplate,
  type HitTemplate,
} from './response.js';

/**
 * The fast lane: plain 200 cache hits answered straight on the socket, in front of node:http.
 *
 * The edge's HTTP server accepts connections as before (the cluster primary hands them to the
 * workers); the lane takes node:http's own connection listener off the server and sees every
 * new connection first. While a connection's requests are plain hits (fast/head.ts says the
 * head is simple, `hit` says the edge would answer it with a fresh stored 200), each answer
 * is one socket write made from a per-object template. The first request that is anything
 * else hands the connection to node:http for good: its bytes are put back in front of the
 * socket's stream and node:http's listener runs as if the connection had just arrived.
 */
export interface FastLaneOptions {
  /**
   * The stored object the edge would answer this request with as a plain fresh 200 HIT, or
   * undefined. Counts nothing: the lane counts what it serves as the slow path would.
   */
  readonly hit: (
    method: 'GET' | 'HEAD',
    target: string,
    headers: FastHeaders,
  ) => CachedObject | undefined;
  readonly counters: EdgeCounters;
  readonly keepAliveTimeoutMs: number;
  readonly logger: Logger;
  /** The edge's clock (Age); the Date header, like node:http's, follows the wall clock. */
  readonly now: () => number;
}

type ConnectionListener = (this: Server, socket: Socket) => void;

export class FastLane {
  private readonly slow: ConnectionListener[];
  private readonly connections = new Set<FastConnection>();
  private readonly templates = new WeakMap<CachedObject, HitTemplate | null>();
  private readonly date = new HttpDateClock();
  private readonly keepAliveSec: number;
  readonly keepAliveTimeoutMs: number;
  readonly logger: Logger;
  private closed = false;

  constructor(
    private readonly server: Server,
    private readonly options: FastLaneOptions,
  ) {
    this.slow = server.listeners('connection') as ConnectionListener[];
    if (this.slow.length === 0) throw new FastLaneError('the server has no connection listener');
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => this.accept(socket));
    this.keepAliveTimeoutMs = options.keepAliveTimeoutMs;
    this.keepAliveSec = Math.floor(options.keepAliveTimeoutMs / 1000);
    this.logger = options.logger;
  }

  /** Fast connections open now (tests). */
  get size(): number {
    return this.connections.size;
  }

  private accept(socket: Socket): void {
    if (this.closed) this.handOff(socket, undefined);
    else this.connections.add(new FastConnection(this, socket));
  }

  /** node:http takes the connection; `chunk` is what it has not seen yet. */
  handOff(socket: Socket, chunk: Buffer | undefined): void {
    if (chunk !== undefined) {
      socket.pause();
      socket.unshift(chunk);
    }
    for (const listener of this.slow) listener.call(this.server, socket);
    if (chunk !== undefined) socket.resume();
  }

  forget(connection: FastConnection): void {
    this.connections.delete(connection);
  }

  /** Answer one request if it is a plain hit; false: node:http must. */
  answer(socket: Socket, chunk: Buffer): boolean {
    if (this.closed) return false;
    const head = parseHead(chunk);
    if (!head.ok) return false;
    const object = this.options.hit(head.method, head.target, head.headers);
    if (object === undefined) return false;
    let template = this.templates.get(object);
    if (template === undefined) {
      template = hitTemplate(object.fullResponseHeaders('HIT', this.options.now())) ?? null;
      this.templates.set(object, template);
    }
    if (template === null) return false;
    const tail = hitTail(
      template,
      object.ageSec(this.options.now()),
      this.date.now(Date.now()),
      this.keepAliveSec,
    );
    const counters = this.options.counters;
    // What the slow path counts for a hit: serveContent, serveStored, respondWithObject.
    counters.requests++;
    counters.hits++;
    let flushed: boolean;
    if (head.method === 'HEAD') flushed = socket.write(hitBytes(template, tail));
    else if (object.body.length <= COPY_BODY_BYTES) {
      flushed = socket.write(hitBytes(template, tail, object.body));
    } else {
      socket.cork();
      socket.write(hitBytes(template, tail));
      flushed = socket.write(object.body);
      socket.uncork();
    }
    if (head.method === 'GET') counters.bytesServed += object.body.length;
    // A client not reading its answers: read no more of its requests until they drain.
    if (!flushed && socket.writable) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
    return true;
  }

  /**
   * Stop answering; end every fast connection (all are idle between requests), and destroy
   * those still open after `graceMs` (a client not reading its last answer). Idempotent.
   */
  close(graceMs: number): void {
    if (this.closed) return;
    this.closed = true;
    for (const connection of this.connections) connection.end();
    const timer = setTimeout(() => {
      for (const connection of [...this.connections]) connection.destroy();
    }, graceMs);
    timer.unref();
  }
}

/** One connection while the fast lane has it. */
class FastConnection {
  private readonly onData = (chunk: Buffer): void => this.data(chunk);
  private readonly onEnd = (): void => this.end();
  private readonly onGone = (): void => this.destroy();
  private readonly onClose = (): void => this.detach();

  constructor(
    private readonly lane: FastLane,
    private readonly socket: Socket,
  ) {
    socket.setTimeout(lane.keepAliveTimeoutMs);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('timeout', this.onGone);
    socket.on('error', this.onGone);
    socket.on('close', this.onClose);
  }

  private data(chunk: Buffer): void {
    let answered = false;
    try {
      answered = this.lane.answer(this.socket, chunk);
    } catch (error) {
      this.lane.logger.error('fast lane failed; node:http answers', { err: error });
    }
    if (answered) return;
    // node:http sets its own timeouts and error handling.
    this.detach();
    this.socket.setTimeout(0);
    this.lane.handOff(this.socket, chunk);
  }

  /**
   * End after what was written is sent (the client's EOF, or the edge closing). Until the
   * socket closes, the lane still owns it: errors and the idle timeout destroy it.
   */
  end(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    if (!this.socket.writableEnded) this.socket.end(() => this.socket.destroy());
  }

  destroy(): void {
    this.detach();
    this.socket.destroy();
  }

  /** The lane lets go of the socket (closed, or handed to node:http). Idempotent. */
  private detach(): void {
    const socket = this.socket;
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('timeout', this.onGone);
    socket.off('error', this.onGone);
    socket.off('close', this.onClose);
    this.lane.forget(this);
  }
}
