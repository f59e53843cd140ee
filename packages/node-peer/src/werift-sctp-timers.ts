import { RTCSctpTransport } from 'werift';

/**
 * Retransmission timers and the initial congestion window of werift 0.24.4's SCTP, closer to
 * the WebRTC stacks browsers run.
 *
 * werift keeps RFC 4960's RTO.Initial of 3 s and RTO.Min of 1 s. Chromium's SCTP (dcSCTP)
 * starts at 500 ms and goes down to 220 ms (400 ms in its first releases). A live segment has
 * two or three seconds from its first holder to its deadline; on the internet lab's lossy
 * paths a lost tail packet then cost a werift peer at least a second of silence, and most of
 * the benchmark's live fallbacks were such silences, past slow start. The node peer takes
 * RFC 9260's RTO.Initial of 1 s and a floor of 400 ms: above the 200 ms werift's receivers
 * may delay a SACK, so no retransmission is spurious on that account. RTO.Max stays 60 s.
 */
export const RTO_INITIAL_SEC = 1;
export const RTO_MIN_SEC = 0.4;
export const RTO_MAX_SEC = 60;

/**
 * The initial congestion window, bytes: dcSCTP's 10 MTUs (RFC 9260 allows about 3; Google's
 * IW10 study argued for 10) of werift's 1,200 B DATA chunks, where werift starts at 3. A first
 * transfer to a new peer starts in slow start (werift acknowledges every packet, so the window
 * doubles per round trip): a 116 KB live segment is all in flight after about 6 round trips
 * from 3 chunks, 4 from 10.
 */
export const INITIAL_CWND_BYTES = 10 * 1200;

/** RFC 9260's RTO from the smoothed round trip and its variation, within these bounds. */
export function boundedRtoSec(srttSec: number, rttvarSec: number): number {
  return Math.max(RTO_MIN_SEC, Math.min(srttSec + 4 * rttvarSec, RTO_MAX_SEC));
}

export interface SctpLike {
  rto: number;
  cwnd: number;
  srtt?: number;
  rttvar: number;
  started: boolean;
  updateRto(rSec: number): void;
  start(remotePort?: number): Promise<void>;
}

const PATCHED = Symbol.for('coral.weriftSctpTimers');
let applied = false;

/**
 * werift's SCTP class, which its package does not export: reached through the one its
 * (exported) RTCSctpTransport builds its association from, on a DTLS transport stand-in that
 * carries nothing. werift ships two builds, CommonJS files and one ES module bundle, each with
 * its own copy of the class; this is the copy of the build this package imports, the one its
 * peer connections use.
 */
export function weriftSctpPrototype(): SctpLike {
  const transport = new RTCSctpTransport();
  const subscription = { unSubscribe: () => {} };
  transport.setDtlsTransport({
    id: 'coral-sctp-probe',
    onStateChange: { subscribe: () => subscription },
  } as unknown as Parameters<RTCSctpTransport['setDtlsTransport']>[0]);
  return Object.getPrototypeOf(transport.sctp) as SctpLike;
}

/**
 * Install the timers and the initial window once per process (idempotent); returns whether
 * they are in place.
 */
export function applyWeriftSctpTimers(): boolean {
  if (applied) return true;
  const proto = weriftSctpPrototype() as SctpLike & { [PATCHED]?: true };
  if (proto[PATCHED]) return (applied = true);
  const updateRto = Reflect.get(proto, 'updateRto') as SctpLike['updateRto'] | undefined;
  const start = Reflect.get(proto, 'start') as SctpLike['start'] | undefined;
  if (typeof updateRto !== 'function' || typeof start !== 'function') return false;
  proto.updateRto = function (this: SctpLike, rSec: number) {
    updateRto.call(this, rSec);
    this.rto = boundedRtoSec(this.srtt ?? rSec, this.rttvar);
  };
  proto.start = function (this: SctpLike, remotePort?: number) {
    // Before any round trip is measured (the association's INIT and first DATA).
    if (!this.started && !this.srtt) this.rto = Math.min(this.rto, RTO_INITIAL_SEC);
    if (!this.started) this.cwnd = INITIAL_CWND_BYTES;
    return start.call(this, remotePort);
  };
  proto[PATCHED] = true;
  return (applied = true);
}
