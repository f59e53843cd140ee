import { RTCPeerConnection } from 'werift';
import { describe, expect, it } from 'vitest';
import {
  applyWeriftSctpTimers,
  boundedRtoSec,
  INITIAL_CWND_BYTES,
  RTO_INITIAL_SEC,
  RTO_MIN_SEC,
  type SctpLike,
  weriftSctpPrototype,
} from '../src/werift-sctp-timers.js';

/** An association's timer state on werift's own SCTP prototype (no transport needed). */
function association(fields: Record<string, unknown>) {
  const proto = weriftSctpPrototype();
  return Object.assign(Object.create(proto) as typeof proto, fields);
}

describe("werift's SCTP timers and initial window", () => {
  it('bounds the RTO at 400 ms and 60 s around srtt + 4 rttvar', () => {
    expect(boundedRtoSec(0.1, 0.02)).toBe(RTO_MIN_SEC);
    expect(boundedRtoSec(0.3, 0.05)).toBeCloseTo(0.5, 10);
    expect(boundedRtoSec(50, 10)).toBe(60);
  });

  it('is installed once, on the class the peer connections werift gives us use', async () => {
    expect(applyWeriftSctpTimers()).toBe(true);
    expect(applyWeriftSctpTimers()).toBe(true);
    // werift's ES module build has its own copy of the class (its CommonJS files another).
    const pc = new RTCPeerConnection({});
    try {
      pc.createDataChannel('probe');
      await pc.setLocalDescription(await pc.createOffer());
      const sctp = pc.sctpTransport!.sctp as unknown as SctpLike;
      expect(Object.getPrototypeOf(sctp)).toBe(weriftSctpPrototype());
      expect(sctp.cwnd).toBe(3 * 1200);
      expect(sctp.rto).toBe(3);
    } finally {
      await pc.close();
    }
  });

  it('a measured 150 ms path retransmits after 400 ms, not after werift’s 1 s floor', () => {
    applyWeriftSctpTimers();
    const sctp = association({ rto: 3, srtt: undefined, rttvar: 0 });
    sctp.updateRto(0.15);
    // First sample: srtt 150 ms, rttvar 75 ms: 450 ms.
    expect(sctp.rto).toBeCloseTo(0.45, 10);
    for (let i = 0; i < 20; i++) sctp.updateRto(0.15);
    expect(sctp.rto).toBe(RTO_MIN_SEC);
  });

  it('starts an association at RFC 9260’s 1 s instead of 3 s', async () => {
    applyWeriftSctpTimers();
    const states: string[] = [];
    const server = association({
      rto: 3,
      rttvar: 0,
      started: false,
      isServer: true,
      setConnectionState: (state: string) => states.push(state),
    });
    await server.start();
    expect(server.rto).toBe(RTO_INITIAL_SEC);
    expect(states).toEqual(['connecting']);
  });

  it('starts an association with a 10-chunk congestion window, where werift starts at 3', async () => {
    applyWeriftSctpTimers();
    // werift's own class, on a transport that carries nothing (a server sends no INIT).
    const SCTP = weriftSctpPrototype().constructor as unknown as {
      server(transport: object): { cwnd: number; start(): Promise<void> };
    };
    const server = SCTP.server({ onData: undefined, send: async () => {} });
    expect(server.cwnd).toBe(3 * 1200);
    await server.start();
    expect(server.cwnd).toBe(INITIAL_CWND_BYTES);
    // A window grown (or cut) by the association itself is never reset by a second start.
    server.cwnd = 50_000;
    await server.start();
    expect(server.cwnd).toBe(50_000);
  });
});
