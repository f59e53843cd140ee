import { RTCDtlsTransport } from 'werift';

/**
 * A fix for werift 0.24.4's DTLS handshake under packet loss: its messages are handled in the
 * order they arrive, where RFC 6347 (§4.2.2) has a receiver handle them in `message_seq` order,
 * holding back any that come early. Traces of cone homes with 5% loss each way showed every
 * failed set-up to be one of three consequences:
 *
 * 1. the server's CertificateRequest is lost: the client answers ServerHelloDone without a
 *    certificate, with keys from a handshake hash that lacks the request, and repeats that
 *    answer when the request comes again (the channel never opens);
 * 2. the client's Certificate is lost: its CertificateVerify is handled first and throws
 *    ("client certificate missing"), which fails the DTLS transport for good;
 * 3. the client's key exchange is handled again, from a retransmitted flight, after later
 *    messages (CertificateVerify, Finished) are cached: the extended master secret (RFC 7627)
 *    is derived anew from a hash that goes past the key exchange, the server's keys no longer
 *    match the client's, and every record after fails to decrypt.
 *
 * The gate below hands werift each handshake message in sequence: one that comes early waits
 * for those before it; a retransmission of one already handed over is passed on again (that
 * is how werift learns to re-send its last flight), except a ClientKeyExchange, whose handler
 * derives the keys. werift does not export its DTLS sockets; each is reached as its transport
 * starts one.
 */

const CLIENT_HELLO = 1;
const SERVER_HELLO = 2;
const HELLO_VERIFY_REQUEST = 3;
const CLIENT_KEY_EXCHANGE = 16;
/** Messages that open a flight whatever came before: the sequence restarts from them. */
const FLIGHT_OPENERS = new Set([CLIENT_HELLO, SERVER_HELLO, HELLO_VERIFY_REQUEST]);
/** How far ahead of the next expected message one is held; further ones are dropped. */
export const MAX_HELD_AHEAD = 16;

export interface HandshakeLike {
  msg_type: number;
  message_seq: number;
}

export interface HandshakeOrder<T extends HandshakeLike> {
  /** The message_seq to hand over next. */
  nextSeq: number;
  /** Messages that came early, by message_seq. */
  held: Map<number, T>;
}

export function newHandshakeOrder<T extends HandshakeLike>(): HandshakeOrder<T> {
  return { nextSeq: 0, held: new Map() };
}

/**
 * Take in one arrived message; returns those to hand werift now, in order (updates `order`).
 * A flight's opener is handed over at once and sets the sequence from itself; the next message
 * in sequence is handed over with any held ones that follow it; an early one is held; a
 * retransmitted one is handed over again unless it is a ClientKeyExchange.
 */
export function admitHandshake<T extends HandshakeLike>(order: HandshakeOrder<T>, message: T): T[] {
  const seq = message.message_seq;
  const release: T[] = [];
  if (FLIGHT_OPENERS.has(message.msg_type)) {
    release.push(message);
    order.nextSeq = Math.max(order.nextSeq, seq + 1);
  } else if (seq < order.nextSeq) {
    return message.msg_type === CLIENT_KEY_EXCHANGE ? [] : [message];
  } else if (seq > order.nextSeq) {
    if (seq - order.nextSeq <= MAX_HELD_AHEAD) order.held.set(seq, message);
    return [];
  } else {
    release.push(message);
    order.nextSeq = seq + 1;
  }
  for (const heldSeq of [...order.held.keys()])
    if (heldSeq < order.nextSeq) order.held.delete(heldSeq);
  for (let next = order.held.get(order.nextSeq); next; next = order.held.get(order.nextSeq)) {
    order.held.delete(order.nextSeq);
    release.push(next);
    order.nextSeq += 1;
  }
  return release;
}

/** The part of werift's DtlsClient / DtlsServer the gate wraps. */
export interface DtlsSocketLike {
  connected: boolean;
  onHandleHandshakes: (assembled: HandshakeLike[]) => Promise<void>;
}

const GATED = Symbol.for('coral.weriftDtlsOrder');

/** Put the gate in front of one werift DTLS socket (idempotent). */
export function gateHandshakes(socket: DtlsSocketLike & { [GATED]?: true }): void {
  if (socket[GATED] || typeof socket.onHandleHandshakes !== 'function') return;
  socket[GATED] = true;
  const handle = socket.onHandleHandshakes;
  let order = newHandshakeOrder<HandshakeLike>();
  socket.onHandleHandshakes = async (assembled) => {
    const release: HandshakeLike[] = [];
    for (const message of [...assembled].sort((a, b) => a.message_seq - b.message_seq)) {
      // A ClientHello on an established session starts a new handshake (werift renegotiates).
      if (message.msg_type === CLIENT_HELLO && socket.connected) order = newHandshakeOrder();
      release.push(...admitHandshake(order, message));
    }
    if (release.length > 0) await handle(release);
  };
}

const PATCHED = Symbol.for('coral.weriftDtlsFix');
let applied = false;

/** Install the gate on every DTLS socket werift's transports start (idempotent). */
export function applyWeriftDtlsFix(): boolean {
  if (applied) return true;
  const proto = RTCDtlsTransport.prototype as unknown as {
    start: (this: { dtls?: DtlsSocketLike }, ...args: unknown[]) => Promise<void>;
    [PATCHED]?: true;
  };
  if (proto[PATCHED]) return (applied = true);
  const start = proto.start;
  if (typeof start !== 'function') return false;
  proto.start = function (this: { dtls?: DtlsSocketLike }, ...args: unknown[]) {
    // werift builds the socket synchronously, before start()'s first await.
    const started = start.apply(this, args);
    if (this.dtls) gateHandshakes(this.dtls);
    return started;
  };
  proto[PATCHED] = true;
  return (applied = true);
}
