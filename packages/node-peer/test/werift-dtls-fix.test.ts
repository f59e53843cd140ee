import { CipherContext, DtlsClient, DtlsServer, RTCDtlsTransport } from 'werift';
import { describe, expect, it } from 'vitest';
import {
  admitHandshake,
  applyWeriftDtlsFix,
  gateHandshakes,
  MAX_HELD_AHEAD,
  newHandshakeOrder,
  type DtlsSocketLike,
  type HandshakeLike,
} from '../src/werift-dtls-fix.js';

const [CLIENT_HELLO, SERVER_HELLO, HELLO_VERIFY] = [1, 2, 3];
const [CERTIFICATE, CERTIFICATE_REQUEST, SERVER_HELLO_DONE] = [11, 13, 14];
const [VERIFY, KEY_EXCHANGE, FINISHED] = [15, 16, 20];
const hs = (msg_type: number, message_seq: number): HandshakeLike => ({ msg_type, message_seq });
const types = (messages: HandshakeLike[]) => messages.map((m) => m.msg_type);

describe('handshake messages in sequence (RFC 6347 §4.2.2)', () => {
  it('hands over messages in order and holds one that comes early until the gap fills', () => {
    const order = newHandshakeOrder();
    expect(types(admitHandshake(order, hs(CLIENT_HELLO, 0)))).toEqual([CLIENT_HELLO]);
    expect(types(admitHandshake(order, hs(CLIENT_HELLO, 1)))).toEqual([CLIENT_HELLO]);
    // The client's Certificate (2) is lost: its key exchange and verify wait for it.
    expect(admitHandshake(order, hs(KEY_EXCHANGE, 3))).toEqual([]);
    expect(admitHandshake(order, hs(VERIFY, 4))).toEqual([]);
    expect(types(admitHandshake(order, hs(CERTIFICATE, 2)))).toEqual([
      CERTIFICATE,
      KEY_EXCHANGE,
      VERIFY,
    ]);
    expect(types(admitHandshake(order, hs(FINISHED, 5)))).toEqual([FINISHED]);
    expect(order.nextSeq).toBe(6);
    expect(order.held.size).toBe(0);
  });

  it('passes a retransmission on again, except a key exchange, whose handler derives the keys', () => {
    const order = newHandshakeOrder();
    for (const [type, seq] of [
      [CLIENT_HELLO, 1],
      [CERTIFICATE, 2],
      [KEY_EXCHANGE, 3],
    ] as const)
      admitHandshake(order, hs(type, seq));
    expect(admitHandshake(order, hs(KEY_EXCHANGE, 3))).toEqual([]);
    expect(types(admitHandshake(order, hs(CERTIFICATE, 2)))).toEqual([CERTIFICATE]);
    // The server's Finished re-sent: werift answers it by sending its own last flight again.
    expect(types(admitHandshake(order, hs(CLIENT_HELLO, 0)))).toEqual([CLIENT_HELLO]);
    expect(order.nextSeq).toBe(4);
  });

  it("holds the server's ServerHelloDone while its CertificateRequest is missing", () => {
    const order = newHandshakeOrder();
    admitHandshake(order, hs(HELLO_VERIFY, 0));
    // Flight 4 with the ServerHello itself late: everything after it waits for it.
    expect(admitHandshake(order, hs(CERTIFICATE, 2))).toEqual([]);
    expect(types(admitHandshake(order, hs(SERVER_HELLO, 1)))).toEqual([SERVER_HELLO, CERTIFICATE]);
    expect(admitHandshake(order, hs(SERVER_HELLO_DONE, 5))).toEqual([]);
    expect(types(admitHandshake(order, hs(12, 3)))).toEqual([12]);
    expect(types(admitHandshake(order, hs(CERTIFICATE_REQUEST, 4)))).toEqual([
      CERTIFICATE_REQUEST,
      SERVER_HELLO_DONE,
    ]);
  });

  it('drops a message too far ahead, and held ones an opener has overtaken', () => {
    const order = newHandshakeOrder();
    admitHandshake(order, hs(CLIENT_HELLO, 0));
    expect(admitHandshake(order, hs(FINISHED, 1 + MAX_HELD_AHEAD + 1))).toEqual([]);
    expect(order.held.size).toBe(0);
    expect(admitHandshake(order, hs(VERIFY, 1 + MAX_HELD_AHEAD))).toEqual([]);
    expect(order.held.size).toBe(1);
    expect(admitHandshake(order, hs(KEY_EXCHANGE, 3))).toEqual([]);
    // A new flight opener past a held message: the stale one goes, the next in line follows.
    expect(types(admitHandshake(order, hs(CLIENT_HELLO, 2)))).toEqual([CLIENT_HELLO, KEY_EXCHANGE]);
    expect(order.held.size).toBe(1);
    // An opener past the held one (a new handshake): it is stale, and goes.
    expect(types(admitHandshake(order, hs(CLIENT_HELLO, 2 + MAX_HELD_AHEAD)))).toEqual([
      CLIENT_HELLO,
    ]);
    expect(order.held.size).toBe(0);
  });
});

/** Handshake type of a datagram holding one plaintext handshake record (null: anything else). */
function handshakeType(datagram: Buffer): number | null {
  const epoch = datagram.readUInt16BE(3);
  return datagram[0] === 22 && epoch === 0 ? datagram[13]! : null;
}

interface Link {
  onData?: (data: Buffer) => void;
  send(data: Buffer): Promise<void>;
  close(): void;
  address: object;
  type: string;
}

/** A werift DTLS endpoint's options: its own self-signed certificate, on `transport`. */
async function endpointOptions(transport: Link) {
  const certificate = await CipherContext.createSelfSignedCertificateWithKey(
    { signature: 3, hash: 4 },
    23,
  );
  return {
    cert: certificate.certPem,
    key: certificate.keyPem,
    signatureHash: certificate.signatureHash,
    transport,
    srtpProfiles: [],
    extendedMasterSecret: true,
  };
}

/** Handshake types whose first datagram each side's sends lose. */
interface Losses {
  server?: number[];
  client?: number[];
}

/**
 * A werift DTLS client and server over an in-memory link that loses, once each, the first
 * datagram each side sends of the listed handshake types (as a lossy path loses them);
 * resolves with whether both sides connected within `boundMs` with keys that agree.
 */
async function handshake(lose: Losses, gate: boolean, boundMs = 4_000): Promise<boolean> {
  const links: Link[] = [];
  const link = (lost: number[], peer: () => Link): Link => ({
    send: async (data: Buffer) => {
      const type = handshakeType(data);
      const index = type === null ? -1 : lost.indexOf(type);
      if (index >= 0) return void lost.splice(index, 1);
      setImmediate(() => peer().onData?.(data));
    },
    close: () => {},
    address: {},
    type: 'memory',
  });
  links.push(
    link([...(lose.server ?? [])], () => links[1]!),
    link([...(lose.client ?? [])], () => links[0]!),
  );
  const [serverOptions, clientOptions] = await Promise.all([
    endpointOptions(links[0]!),
    endpointOptions(links[1]!),
  ]);
  const server = new DtlsServer({ ...serverOptions, certificateRequest: true } as never);
  const client = new DtlsClient(clientOptions as never);
  if (gate) {
    gateHandshakes(server as unknown as DtlsSocketLike);
    gateHandshakes(client as unknown as DtlsSocketLike);
  }
  const connected = (socket: DtlsServer | DtlsClient) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), boundMs);
      socket.onConnect.once(() => {
        clearTimeout(timer);
        resolve(true);
      });
      socket.onError.once(() => {
        clearTimeout(timer);
        resolve(false);
      });
    });
  const both = Promise.all([connected(server), connected(client)]);
  void client.connect();
  const [serverUp, clientUp] = await both;
  // Keys must agree: a message each way decrypts.
  const echoed = serverUp && clientUp ? await exchange(server, client) : false;
  server.close();
  client.close();
  return echoed;
}

function exchange(server: DtlsServer, client: DtlsClient): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 2_000);
    server.onData.once((data) => void server.send(Buffer.concat([Buffer.from('re:'), data])));
    client.onData.once((data) => {
      clearTimeout(timer);
      resolve(data.toString() === 're:ping');
    });
    void client.send(Buffer.from('ping'));
  });
}

describe("werift's DTLS handshake under loss, with the gate", () => {
  it('completes with nothing lost', async () => {
    expect(await handshake({}, true)).toBe(true);
  });

  it("completes when the server's CertificateRequest is lost (werift alone never does)", async () => {
    expect(await handshake({ server: [CERTIFICATE_REQUEST] }, true)).toBe(true);
  });

  it("completes when the client's Certificate is lost (werift alone fails the transport)", async () => {
    expect(await handshake({ client: [CERTIFICATE] }, true)).toBe(true);
  });

  it("completes when the client's CertificateVerify is lost (werift alone derives new keys)", async () => {
    expect(await handshake({ client: [VERIFY] }, true)).toBe(true);
  });

  it("is installed on every socket werift's DTLS transports start, once", () => {
    expect(applyWeriftDtlsFix()).toBe(true);
    expect(applyWeriftDtlsFix()).toBe(true);
    // A transport as werift's peer connection starts one, on an ICE link that carries nothing.
    const transport = Object.assign(Object.create(RTCDtlsTransport.prototype) as object, {
      state: 'new',
      role: 'server',
      remoteParameters: { fingerprints: [{ algorithm: 'sha-256', value: '00' }] },
      iceTransport: { connection: { onData: { subscribe: () => ({}) }, close: () => {} } },
      srtpProfiles: [],
      config: {},
      setState: () => {},
    }) as unknown as { start(): Promise<void>; dtls: DtlsServer & DtlsSocketLike };
    void transport.start();
    const socket = transport.dtls;
    expect(socket).toBeInstanceOf(DtlsServer);
    const gated = socket.onHandleHandshakes;
    expect(gated).not.toBe((socket as unknown as { handleHandshakes: unknown }).handleHandshakes);
    gateHandshakes(socket);
    expect(socket.onHandleHandshakes).toBe(gated);
    socket.close();
  });
});
