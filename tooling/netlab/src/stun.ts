import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

const MAGIC_COOKIE = 0x2112a442;

/**
 * One STUN Binding request (RFC 5389) to `host:port`; resolves with the mapped address the
 * server saw ("ip:port"), or rejects after `timeoutMs`. Used to know that a STUN server is up.
 */
export function stunBinding(host: string, port: number, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const transactionId = randomBytes(12);
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0);
    request.writeUInt16BE(0, 2);
    request.writeUInt32BE(MAGIC_COOKIE, 4);
    transactionId.copy(request, 8);
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no STUN answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('error', (error) => {
      clearTimeout(timer);
      socket.close();
      reject(error);
    });
    socket.on('message', (message) => {
      if (message.length < 20 || !message.subarray(8, 20).equals(transactionId)) return;
      clearTimeout(timer);
      socket.close();
      resolve(xorMappedAddress(message) ?? 'unknown');
    });
    socket.send(request, port, host);
  });
}

function xorMappedAddress(message: Buffer): string | undefined {
  let offset = 20;
  while (offset + 4 <= message.length) {
    const type = message.readUInt16BE(offset);
    const length = message.readUInt16BE(offset + 2);
    if (type === 0x0020 && length >= 8) {
      const port = message.readUInt16BE(offset + 6) ^ (MAGIC_COOKIE >>> 16);
      const ip = message.readUInt32BE(offset + 8) ^ MAGIC_COOKIE;
      return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}:${port}`;
    }
    offset += 4 + length + ((4 - (length % 4)) % 4);
  }
  return undefined;
}
