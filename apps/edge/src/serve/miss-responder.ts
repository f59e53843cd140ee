import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@coral-cdn/server-kit';
import { headerValue } from '../cache/policy.js';
import { findHeader, type CachedObject } from '../cache/cached-object.js';
import { parseVary, variantKey } from '../cache/vary.js';
import { notModified, rangeApplies } from '../http/conditional.js';
import type { HeaderList } from '../http/headers.js';
import { contentRange, parseRange } from '../http/range.js';
import type { Fill, FillOutcome, FillSubscriber, StreamHead } from '../origin/fill.js';
import type { EdgeCounters } from '../stats.js';
import { respondWithObject, sendError } from './respond.js';

export interface MissContext {
  readonly edgeHeaders: HeaderList;
  readonly logger: Logger;
  readonly counters: EdgeCounters;
  readonly now: () => number;
  /** Serve this request again with a fill of its own (the shared answer is not for it). */
  readonly restart: (req: IncomingMessage, res: ServerResponse) => void;
  /** Serve this request straight from the origin instead (not cacheable after all). */
  readonly passThrough: (req: IncomingMessage, res: ServerResponse) => void;
}

type Mode =
  | { kind: 'waiting' }
  | { kind: 'full' }
  | { kind: 'range'; start: number; end: number }
  /** Range on a body of unknown length: answered from the object once it is complete. */
  | { kind: 'await-object' }
  | { kind: 'done' };

/**
 * One client waiting on a fill. It answers when the fill's outcome is known and then writes
 * the body (or the requested range of it) chunk by chunk as the origin sends it.
 */
export class MissResponder implements FillSubscriber {
  private mode: Mode = { kind: 'waiting' };
  private waitingForDrain = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly fill: Fill,
    private readonly context: MissContext,
    /** This request started the fill, so its answer is meant for it. */
    private readonly initiator: boolean,
  ) {
    res.on('close', () => {
      if (this.mode.kind !== 'done') {
        context.counters.clientAborts++;
        this.finish();
      }
    });
  }

  onOutcome(outcome: FillOutcome): void {
    this.guard(undefined, () => this.answer(outcome));
  }

  /** A joined request whose answer is another request's: private, or another Vary variant. */
  private notMine(outcome: FillOutcome): boolean {
    if (this.initiator) return false;
    const headers = this.req.headers;
    if (outcome.kind === 'stream') {
      const head = outcome.head;
      return (
        !head.shareable || variantKey(this.fill.key, head.varyNames, headers) !== head.variantKey
      );
    }
    if (outcome.kind === 'cached') {
      const object = outcome.object;
      const names = parseVary(findHeader(object.meta.headers, 'vary'));
      return variantKey(this.fill.key, names, headers) !== object.meta.key;
    }
    return false;
  }

  private answer(outcome: FillOutcome): void {
    const { counters, now, edgeHeaders } = this.context;
    if (this.notMine(outcome)) {
      this.finish();
      this.context.restart(this.req, this.res);
      return;
    }
    switch (outcome.kind) {
      case 'cached':
        this.finish();
        if (outcome.cacheStatus === 'STALE') counters.stale++;
        else counters.hits++;
        respondWithObject(this.req, this.res, outcome.object, outcome.cacheStatus, now(), counters);
        return;
      case 'error':
        this.finish();
        counters.gatewayErrors++;
        sendError(
          this.res,
          outcome.status,
          outcome.status === 504 ? 'origin_timeout' : 'origin_unavailable',
          outcome.message,
          edgeHeaders,
          ['x-cache', 'MISS'],
        );
        return;
      case 'stream':
        counters.misses++;
        this.startStream(outcome.head);
        return;
    }
  }

  private startStream(head: StreamHead): void {
    const { req, res } = this;
    const headers = req.headers;
    if (head.statusCode === 200) {
      if (notModified(headers['if-none-match'], headers['if-modified-since'], head.validators)) {
        this.context.counters.notModified++;
        this.finish();
        res.writeHead(304, this.headerList(head, undefined, []));
        res.end();
        return;
      }
      if (
        headers.range !== undefined &&
        rangeApplies(headerValue(headers['if-range']), head.validators)
      ) {
        if (head.contentLength === undefined) {
          this.mode = { kind: 'await-object' };
          return;
        }
        const range = parseRange(headers.range, head.contentLength);
        if (range.kind === 'unsatisfiable') {
          this.finish();
          res.writeHead(416, [
            'content-range',
            `bytes */${head.contentLength}`,
            'content-length',
            '0',
            ...this.context.edgeHeaders,
            'x-cache',
            'MISS',
          ]);
          res.end();
          return;
        }
        if (range.kind === 'range') {
          res.writeHead(
            206,
            this.headerList(head, range.end - range.start + 1, [
              'content-range',
              contentRange(range.start, range.end, head.contentLength),
            ]),
          );
          if (req.method === 'HEAD') this.end();
          else this.mode = { kind: 'range', start: range.start, end: range.end };
          return;
        }
      }
    }
    res.writeHead(head.statusCode, this.headerList(head, head.contentLength, []));
    if (req.method === 'HEAD') this.end();
    else this.mode = { kind: 'full' };
  }

  private headerList(head: StreamHead, length: number | undefined, extra: HeaderList): HeaderList {
    return [
      ...head.headers,
      ...(length === undefined ? [] : ['content-length', String(length)]),
      ...(head.storable ? ['accept-ranges', 'bytes'] : []),
      ...extra,
      ...this.context.edgeHeaders,
      'x-cache',
      'MISS',
      'age',
      String(head.ageSec),
    ];
  }

  onData(chunk: Buffer, offset: number): boolean {
    return this.guard(true, () => this.forward(chunk, offset));
  }

  private forward(chunk: Buffer, offset: number): boolean {
    const mode = this.mode;
    if (mode.kind === 'full') return this.write(chunk);
    if (mode.kind !== 'range') return true;
    const chunkEnd = offset + chunk.length - 1;
    if (chunkEnd < mode.start) return true;
    const from = Math.max(mode.start, offset) - offset;
    const to = Math.min(mode.end, chunkEnd) - offset + 1;
    const ok = this.write(from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to));
    if (chunkEnd >= mode.end) this.end();
    return ok;
  }

  onEnd(object: CachedObject | undefined): void {
    this.guard(undefined, () => this.complete(object));
  }

  private complete(object: CachedObject | undefined): void {
    if (this.mode.kind === 'await-object') {
      this.finish();
      if (object !== undefined) {
        respondWithObject(
          this.req,
          this.res,
          object,
          'MISS',
          this.context.now(),
          this.context.counters,
        );
      } else this.context.passThrough(this.req, this.res);
      return;
    }
    this.end();
  }

  onAbort(error: Error): void {
    this.finish();
    // Headers (and maybe a Content-Length) are out: cutting the connection is the only honest
    // way to tell the client its body is incomplete.
    if (this.res.headersSent) this.res.destroy();
    else {
      this.context.counters.gatewayErrors++;
      sendError(this.res, 502, 'origin_body_incomplete', error.message, this.context.edgeHeaders, [
        'x-cache',
        'MISS',
      ]);
    }
  }

  onRetentionLost(): void {
    if (this.mode.kind !== 'await-object') return;
    this.finish();
    this.context.passThrough(this.req, this.res);
  }

  /**
   * Run a step; if it throws (a header the origin sent that Node refuses, say), this client
   * alone is cut off and the fill carries on for the others.
   */
  private guard<T>(fallback: T, step: () => T): T {
    try {
      return step();
    } catch (error) {
      this.context.logger.error('answering a miss failed', { url: this.req.url, err: error });
      this.finish();
      if (this.res.headersSent) this.res.destroy();
      else {
        sendError(
          this.res,
          502,
          'bad_origin_response',
          'the origin response could not be relayed',
          this.context.edgeHeaders,
        );
      }
      return fallback;
    }
  }

  private write(chunk: Buffer): boolean {
    if (this.res.destroyed) return true;
    this.context.counters.bytesServed += chunk.length;
    const ok = this.res.write(chunk);
    if (!ok && !this.waitingForDrain) {
      this.waitingForDrain = true;
      this.res.once('drain', () => {
        this.waitingForDrain = false;
        this.fill.unblock(this);
      });
    }
    return ok;
  }

  private end(): void {
    this.finish();
    this.res.end();
  }

  /** Stop listening to the fill. Idempotent. */
  private finish(): void {
    if (this.mode.kind === 'done') return;
    this.mode = { kind: 'done' };
    this.fill.detach(this);
  }
}
