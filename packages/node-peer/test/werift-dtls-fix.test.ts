import { DtlsServer } from 'werift';
import { describe, expect, it } from 'vitest';
import { applyWeriftDtlsFix, cacheableHandshakes } from '../src/werift-dtls-fix.js';

const hs = (msg_type: number) => ({ msg_type });
const [CERTIFICATE, KEY_EXCHANGE, VERIFY, FINISHED] = [11, 16, 15, 20];

describe("werift's DTLS server under loss", () => {
  it('holds back a client CertificateVerify that arrives before its ClientKeyExchange', () => {
    // The key exchange was lost: the verify must not enter the hash the keys come from.
    expect(cacheableHandshakes([hs(VERIFY)], [hs(CERTIFICATE)], false, 5)).toEqual([]);
    // In order (the retransmitted flight, or no loss): cached.
    expect(
      cacheableHandshakes([hs(VERIFY)], [hs(CERTIFICATE), hs(KEY_EXCHANGE)], false, 5),
    ).toEqual([hs(VERIFY)]);
    expect(cacheableHandshakes([hs(KEY_EXCHANGE), hs(VERIFY)], [], false, 5)).toEqual([
      hs(KEY_EXCHANGE),
      hs(VERIFY),
    ]);
    expect(cacheableHandshakes([hs(FINISHED)], [], false, 5)).toEqual([hs(FINISHED)]);
    // Other flights and our own messages are untouched.
    expect(cacheableHandshakes([hs(VERIFY)], [], true, 5)).toEqual([hs(VERIFY)]);
    expect(cacheableHandshakes([hs(VERIFY)], [], false, 4)).toEqual([hs(VERIFY)]);
  });

  it("patches werift's own DTLS context, once", () => {
    expect(applyWeriftDtlsFix()).toBe(true);
    expect(applyWeriftDtlsFix()).toBe(true);
    const server = new DtlsServer({ transport: {} } as never) as unknown as {
      dtls: {
        bufferHandshakeCache(h: object[], isLocal: boolean, flight: number): void;
        handshakeCache: Record<number, { data: Array<{ msg_type: number }> } | undefined>;
      };
    };
    server.dtls.bufferHandshakeCache([hs(CERTIFICATE), hs(VERIFY)], false, 5);
    expect(server.dtls.handshakeCache[5]!.data.map((h) => h.msg_type)).toEqual([CERTIFICATE]);
    server.dtls.bufferHandshakeCache([hs(KEY_EXCHANGE), hs(VERIFY)], false, 5);
    expect(server.dtls.handshakeCache[5]!.data.map((h) => h.msg_type)).toEqual([
      CERTIFICATE,
      KEY_EXCHANGE,
      VERIFY,
    ]);
  });
});
