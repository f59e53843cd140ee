import type { WebSocketLike } from '@coral-cdn/p2p-engine';
import type { EventClock } from './event-clock.js';

/** The tracker's end of a viewer's WebSocket. */
export interface ServerSocket {
  send(text: string): void;
  close(): void;
  onmessage: ((text: string) => void) | null;
  onclose: (() => void) | null;
}

export interface SocketServer {
  accept(socket: ServerSocket): void;
}

/**
 * A WebSocket to an in-process server, each message arriving after the one-way latency in
 * send order (one TCP stream). Bandwidth is not modelled: tracker messages are small.
 */
export class SimSocket implements WebSocketLike {
  onopen: (() => void) | null = null;
  onmessage: ((text: string) => void) | null = null;
  onclose: ((code: number) => void) | null = null;
  onerror: ((error: unknown) => void) | null = null;
  private server: ServerSocket | null = null;
  private closed = false;

  constructor(
    private readonly clock: EventClock,
    private readonly oneWayMs: number,
    target: SocketServer | null,
  ) {
    // TCP and the HTTP upgrade: about two round trips.
    clock.setTimeout(() => {
      if (this.closed) return;
      if (!target) {
        this.closed = true;
        this.onerror?.(new Error('connection refused'));
        this.onclose?.(1006);
        return;
      }
      const serverSide: ServerSocket = {
        send: (text) =>
          clock.setTimeout(() => {
            if (!this.closed) this.onmessage?.(text);
          }, oneWayMs),
        close: () => clock.setTimeout(() => this.remoteClose(), oneWayMs),
        onmessage: null,
        onclose: null,
      };
      this.server = serverSide;
      target.accept(serverSide);
      this.onopen?.();
    }, oneWayMs * 4);
  }

  send(text: string): void {
    const server = this.server;
    if (this.closed || !server) throw new Error('socket not open');
    this.clock.setTimeout(() => server.onmessage?.(text), this.oneWayMs);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const server = this.server;
    this.clock.setTimeout(() => server?.onclose?.(), this.oneWayMs);
  }

  private remoteClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.server?.onclose?.();
    this.onclose?.(1001);
  }
}
