import { DtlsServer } from 'werift';

/**
 * A fix for werift 0.24.4's DTLS server under packet loss.
 *
 * With the extended master secret (RFC 7627, on by default) the server derives the master
 * secret, when the client's ClientKeyExchange arrives, from a hash of every handshake message
 * it has cached. The hash must stop at the ClientKeyExchange. When that record is lost and the
 * client's CertificateVerify (sent after it in the same flight) gets through, werift has cached
 * the CertificateVerify already when the retransmitted ClientKeyExchange comes: the hash then
 * covers one message too many, the server's keys differ from the client's, every Finished fails
 * to decrypt ("decrypt failed"), and the handshake never completes on the client's side. That
 * was half of the failed tries under 5% loss (3 of 6 opened).
 *
 * werift does not export its DTLS context; its prototype is reached through a throwaway
 * server. The fix refuses to cache a client's CertificateVerify before its ClientKeyExchange;
 * the client retransmits the whole flight, in order, so it is cached then.
 */

const CERTIFICATE_VERIFY = 15;
const CLIENT_KEY_EXCHANGE = 16;
/** The client's second flight (Certificate, ClientKeyExchange, CertificateVerify, Finished). */
const CLIENT_FLIGHT = 5;

interface CachedHandshake {
  msg_type: number;
}

interface DtlsContextLike {
  handshakeCache: Record<number, { data: CachedHandshake[] } | undefined>;
  bufferHandshakeCache(handshakes: CachedHandshake[], isLocal: boolean, flight: number): void;
}

const PATCHED = Symbol.for('coral.weriftDtlsFix');
let applied = false;

/** Which of `handshakes` may be cached now (pure): no CertificateVerify before the key exchange. */
export function cacheableHandshakes<T extends CachedHandshake>(
  handshakes: readonly T[],
  cached: readonly CachedHandshake[],
  isLocal: boolean,
  flight: number,
): T[] {
  if (isLocal || flight !== CLIENT_FLIGHT) return [...handshakes];
  let keyExchangeSeen = cached.some((h) => h.msg_type === CLIENT_KEY_EXCHANGE);
  return handshakes.filter((h) => {
    if (h.msg_type === CLIENT_KEY_EXCHANGE) keyExchangeSeen = true;
    return h.msg_type !== CERTIFICATE_VERIFY || keyExchangeSeen;
  });
}

/** The prototype werift's DTLS contexts share. */
function dtlsContextPrototype(): DtlsContextLike {
  const probe = new DtlsServer({ transport: {} } as never) as unknown as { dtls: object };
  return Object.getPrototypeOf(probe.dtls) as DtlsContextLike;
}

/** Install the fix once per process (idempotent); returns whether it is in place. */
export function applyWeriftDtlsFix(): boolean {
  if (applied) return true;
  const proto = dtlsContextPrototype() as DtlsContextLike & { [PATCHED]?: true };
  if (proto[PATCHED]) return (applied = true);
  // Called below with each context as `this`, as werift calls it.
  const original = Reflect.get(proto, 'bufferHandshakeCache') as
    | ((this: DtlsContextLike, h: CachedHandshake[], isLocal: boolean, flight: number) => void)
    | undefined;
  if (typeof original !== 'function') return false;
  proto.bufferHandshakeCache = function (this: DtlsContextLike, handshakes, isLocal, flight) {
    const cached = this.handshakeCache[flight]?.data ?? [];
    original.call(this, cacheableHandshakes(handshakes, cached, isLocal, flight), isLocal, flight);
  };
  proto[PATCHED] = true;
  return (applied = true);
}
