import type { HeaderList } from '../http/headers.js';

/**
 * The bytes node:http writes for a plain 200 hit, made without node:http: the status line and
 * the stored header list once per cached object (a template), then per response the Age, the
 * Date when the stored headers have none, and the keep-alive fields, exactly as
 * `ServerResponse` orders and spells them (`_storeHeader`).
 */
export interface HitTemplate {
  /** `HTTP/1.1 200 OK` and every header up to and including `age: `. */
  readonly prefix: Buffer;
  /** node:http adds a Date unless the header list has one. */
  readonly addDate: boolean;
}

/** Bodies up to this size are copied behind the head (one write); larger go as two (writev). */
export const COPY_BODY_BYTES = 16 * 1024;

/** Header names node:http treats specially: a list holding one is left to node:http. */
const SPECIAL = new Set(['connection', 'keep-alive', 'transfer-encoding', 'trailer', 'expect']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What node:http's header check lets through; latin1 is how it encodes a head. */
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * The template for a 200 answered with `headers` (the slow path's list, whose last field is
 * `age`). Undefined when node:http would write something this module does not reproduce.
 */
export function hitTemplate(headers: HeaderList): HitTemplate | undefined {
  const count = headers.length;
  if (count < 2 || count % 2 !== 0 || headers[count - 2] !== 'age') return undefined;
  let text = 'HTTP/1.1 200 OK\r\n';
  let addDate = true;
  let length = false;
  for (let i = 0; i < count - 2; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    const lower = name.toLowerCase();
    if (!TOKEN.test(name) || !VALUE.test(value) || SPECIAL.has(lower) || lower === 'age') {
      return undefined;
    }
    if (lower === 'date') addDate = false;
    if (lower === 'content-length') length = true;
    text += `${name}: ${value}\r\n`;
  }
  if (!length) return undefined;
  return { prefix: Buffer.from(`${text}age: `, 'latin1'), addDate };
}

/** What follows the template for one response: Age's value, Date, keep-alive, the blank line. */
export function hitTail(
  template: HitTemplate,
  ageSec: number,
  date: string,
  keepAliveSec: number,
): string {
  return (
    `${ageSec}\r\n${template.addDate ? `Date: ${date}\r\n` : ''}` +
    `Connection: keep-alive\r\nKeep-Alive: timeout=${keepAliveSec}\r\n\r\n`
  );
}

/** The head, and the body when given, in one buffer. */
export function hitBytes(template: HitTemplate, tail: string, body?: Buffer): Buffer {
  const prefix = template.prefix;
  const headLength = prefix.length + tail.length;
  const out = Buffer.allocUnsafe(headLength + (body?.length ?? 0));
  prefix.copy(out, 0);
  out.write(tail, prefix.length, 'latin1');
  body?.copy(out, headLength);
  return out;
}

/** `Date` as node:http writes it, made once per second. */
export class HttpDateClock {
  private second = -1;
  private text = '';

  now(nowMs: number): string {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.second) {
      this.second = second;
      this.text = new Date(second * 1000).toUTCString();
    }
    return this.text;
  }
}
