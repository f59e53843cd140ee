import { connect, type Socket } from 'node:net';

/** One HTTP/1.1 response as it came over the wire. */
export interface RawResponse {
  /** `HTTP/1.1 200 OK` */
  readonly statusLine: string;
  /** Header lines in order, as sent (`name: value`). */
  readonly headerLines: readonly string[];
  readonly body: Buffer;
}

/**
 * A keep-alive connection that sends raw bytes and reads responses one at a time (bodies by
 * Content-Length; none for HEAD, 204 and 304), to compare what two servers put on the wire.
 */
export class RawClient {
  private buffered = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  private ended = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.waiting?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.waiting?.();
    });
    socket.on('error', () => undefined);
  }

  static open(url: string): Promise<RawClient> {
    const { port, hostname } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Write bytes as one chunk. */
  send(text: string): void {
    this.socket.write(Buffer.from(text, 'latin1'));
  }

  /** The next response (`head`: its request was a HEAD, so no body follows). */
  async read(head = false): Promise<RawResponse> {
    for (;;) {
      const end = this.buffered.indexOf('\r\n\r\n');
      if (end >= 0) {
        const lines = this.buffered.subarray(0, end).toString('latin1').split('\r\n');
        const headerLines = lines.slice(1);
        const statusLine = lines[0]!;
        const status = Number(statusLine.split(' ')[1]);
        const lengthLine = headerLines.find((line) => /^content-length:/i.test(line));
        const length =
          head || status === 204 || status === 304 || lengthLine === undefined
            ? 0
            : Number(lengthLine.slice(lengthLine.indexOf(':') + 1).trim());
        if (this.buffered.length >= end + 4 + length) {
          const body = Buffer.from(this.buffered.subarray(end + 4, end + 4 + length));
          this.buffered = this.buffered.subarray(end + 4 + length);
          return { statusLine, headerLines, body };
        }
      }
      if (this.ended) throw new Error('connection closed before a whole response');
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
  }

  /** One request, one response. */
  async request(text: string, head = false): Promise<RawResponse> {
    this.send(text);
    return this.read(head);
  }

  get closed(): boolean {
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A response without the fields that differ between any two answers (Date). */
export function comparable(response: RawResponse): RawResponse {
  return {
    ...response,
    headerLines: response.headerLines.filter((line) => !/^date:/i.test(line)),
  };
}
