import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyWeriftSctpTimers,
  boundedRtoSec,
  INITIAL_CWND_BYTES,
  RTO_INITIAL_SEC,
  RTO_MIN_SEC,
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

  it('is installed once, on the class werift constructs its associations from', () => {
    expect(applyWeriftSctpTimers()).toBe(true);
    expect(applyWeriftSctpTimers()).toBe(true);
    // RTCSctpTransport makes its association with `new SCTP(...)` from lib/sctp/src.
    const transport = createRequire(import.meta.url).resolve('werift');
    const source = readFileSync(join(dirname(transport), 'transport', 'sctp.js'), 'utf8');
    expect(source).toMatch(/require\("(\.\.\/){3}sctp\/src"\)/);
    expect(source).toContain('new src_1.SCTP(');
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
