/**
 * The part of AMF0 that RTMP commands use (connect, createStream, publish, and the server's
 * answers): numbers, booleans, strings, objects, null. Bounded: a value nests at most 8 deep.
 */
export type AmfValue = number | boolean | string | null | undefined | AmfObject | AmfValue[];
export interface AmfObject {
  [key: string]: AmfValue;
}

export class AmfError extends Error {}

const MAX_DEPTH = 8;

/** Decode every value in `bytes` (a command: name, transaction id, arguments). */
export function decodeAmf0(bytes: Buffer): AmfValue[] {
  const values: AmfValue[] = [];
  let offset = 0;
  const need = (count: number) => {
    if (offset + count > bytes.length) throw new AmfError('truncated AMF0 value');
  };
  const readKey = (): string => {
    need(2);
    const length = bytes.readUInt16BE(offset);
    need(2 + length);
    const key = bytes.toString('utf8', offset + 2, offset + 2 + length);
    offset += 2 + length;
    return key;
  };
  const readProperties = (depth: number): AmfObject => {
    const object: AmfObject = {};
    for (;;) {
      const key = readKey();
      need(1);
      if (key === '' && bytes[offset] === 0x09) {
        offset++;
        return object;
      }
      object[key] = readValue(depth + 1);
    }
  };
  const readValue = (depth: number): AmfValue => {
    if (depth > MAX_DEPTH) throw new AmfError('AMF0 value nested too deep');
    need(1);
    const marker = bytes[offset++];
    switch (marker) {
      case 0x00: {
        need(8);
        const value = bytes.readDoubleBE(offset);
        offset += 8;
        return value;
      }
      case 0x01:
        need(1);
        return bytes[offset++] !== 0;
      case 0x02:
        return readKey();
      case 0x03:
        return readProperties(depth);
      case 0x05:
        return null;
      case 0x06:
        return undefined;
      case 0x08:
        need(4);
        offset += 4; // ECMA array: a count hint, then properties as in an object
        return readProperties(depth);
      case 0x0a: {
        need(4);
        const count = bytes.readUInt32BE(offset);
        offset += 4;
        if (count > bytes.length - offset) throw new AmfError('AMF0 array longer than its bytes');
        const array: AmfValue[] = [];
        for (let i = 0; i < count; i++) array.push(readValue(depth + 1));
        return array;
      }
      case 0x0c: {
        need(4);
        const length = bytes.readUInt32BE(offset);
        need(4 + length);
        const text = bytes.toString('utf8', offset + 4, offset + 4 + length);
        offset += 4 + length;
        return text;
      }
      default:
        throw new AmfError(`unsupported AMF0 marker 0x${(marker ?? 0).toString(16)}`);
    }
  };
  while (offset < bytes.length) values.push(readValue(0));
  return values;
}

function encodeString(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const head = Buffer.alloc(2);
  head.writeUInt16BE(body.length);
  return Buffer.concat([head, body]);
}

/** Encode values (only what the gate answers with: strings, numbers, objects, null). */
export function encodeAmf0(values: readonly AmfValue[]): Buffer {
  const parts: Buffer[] = [];
  const write = (value: AmfValue): void => {
    if (typeof value === 'number') {
      const bytes = Buffer.alloc(9);
      bytes[0] = 0x00;
      bytes.writeDoubleBE(value, 1);
      parts.push(bytes);
    } else if (typeof value === 'boolean') {
      parts.push(Buffer.from([0x01, value ? 1 : 0]));
    } else if (typeof value === 'string') {
      parts.push(Buffer.from([0x02]), encodeString(value));
    } else if (value === null || value === undefined || Array.isArray(value)) {
      parts.push(Buffer.from([value === undefined ? 0x06 : 0x05]));
    } else {
      parts.push(Buffer.from([0x03]));
      for (const [key, inner] of Object.entries(value)) {
        parts.push(encodeString(key));
        write(inner);
      }
      parts.push(Buffer.from([0x00, 0x00, 0x09]));
    }
  };
  for (const value of values) write(value);
  return Buffer.concat(parts);
}
