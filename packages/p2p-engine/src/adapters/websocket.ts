import type { WebSocketLike } from '../platform.js';
import { bytesToText } from '../text.js';

/** The part of the standard WebSocket (browsers; the `ws` package) that Coral uses. */
export interface StandardWebSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export function adaptWebSocket(socket: StandardWebSocket): WebSocketLike {
  const adapted: WebSocketLike = {
    send: (text) => socket.send(text),
    close: (code, reason) => socket.close(code, reason),
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
  };
  socket.onopen = () => adapted.onopen?.();
  socket.onmessage = (event) => {
    const data = event.data;
    if (typeof data === 'string') adapted.onmessage?.(data);
    else if (data instanceof Uint8Array) adapted.onmessage?.(bytesToText(data));
    else if (data instanceof ArrayBuffer) adapted.onmessage?.(bytesToText(new Uint8Array(data)));
  };
  socket.onclose = (event) => adapted.onclose?.(event.code);
  socket.onerror = (event) => adapted.onerror?.(event);
  return adapted;
}
