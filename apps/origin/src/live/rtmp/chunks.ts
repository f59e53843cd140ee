/**
 * RTMP chunk streams: reassembling the messages a client sends (chunk headers of the four
 * formats, extended timestamps, Set Chunk Size) and writing the gate's own answers.
 */
export interface RtmpMessage {
  readonly type: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

export class RtmpProtocolError extends Error {}

export const MSG_SET_CHUNK_SIZE = 1;
export const MSG_WINDOW_ACK_SIZE = 5;
export const MSG_SET_PEER_BANDWIDTH = 6;
export const MSG_AUDIO = 8;
export const MSG_VIDEO = 9;
export const MSG_DATA_AMF0 = 18;
export const MSG_COMMAND_AMF3 = 17;
export const MSG_COMMAND_AMF0 = 20;

interface ChunkStreamState {
  timestampField: number;
  extended: boolean;
  length: number;
  type: number;
  streamId: number;
  parts: Buffer[];
  received: number;
}

const HEADER_SIZES = [11, 7, 3, 0] as const;

/** Reassembles messages from a client's chunk stream; refuses any larger than `maxMessageBytes`. */
export class ChunkReader {
  private pending: Buffer = Buffer.alloc(0);
  private chunkSize = 128;
  private readonly streams = new Map<number, ChunkStreamState>();

  constructor(private readonly maxMessageBytes: number) {}

  /** Feed bytes; returns the messages they complete. Throws RtmpProtocolError. */
  push(data: Buffer): RtmpMessage[] {
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    const messages: RtmpMessage[] = [];
    for (;;) {
      const consumed = this.readChunk(messages);
      if (consumed === 0) break;
      this.pending = this.pending.subarray(consumed);
    }
    return messages;
  }

  /** One chunk from `pending`: bytes consumed, 0 when it is not all there yet. */
  private readChunk(messages: RtmpMessage[]): number {
    const bytes = this.pending;
    if (bytes.length < 1) return 0;
    const format = bytes[0]! >> 6;
    let csid = bytes[0]! & 0x3f;
    let offset = 1;
    if (csid === 0) {
      if (bytes.length < 2) return 0;
      csid = 64 + bytes[1]!;
      offset = 2;
    } else if (csid === 1) {
      if (bytes.length < 3) return 0;
      csid = 64 + bytes[1]! + bytes[2]! * 256;
      offset = 3;
    }
    const headerSize = HEADER_SIZES[format as 0 | 1 | 2 | 3];
    if (bytes.length < offset + headerSize) return 0;
    const previous = this.streams.get(csid);
    if (format !== 0 && previous === undefined) {
      throw new RtmpProtocolError(`chunk stream ${csid} starts without a full header`);
    }
    const state: ChunkStreamState = previous ?? {
      timestampField: 0,
      extended: false,
      length: 0,
      type: 0,
      streamId: 0,
      parts: [],
      received: 0,
    };
    if (format !== 3 && state.received > 0) {
      throw new RtmpProtocolError(`a new message header inside a message on chunk stream ${csid}`);
    }
    let timestampField = state.timestampField;
    if (format <= 2) timestampField = bytes.readUIntBE(offset, 3);
    if (format <= 1) {
      state.length = bytes.readUIntBE(offset + 3, 3);
      state.type = bytes[offset + 6]!;
    }
    if (format === 0) state.streamId = bytes.readUInt32LE(offset + 7);
    offset += headerSize;
    const extended = format === 3 ? state.extended : timestampField === 0xffffff;
    if (extended) {
      if (bytes.length < offset + 4) return 0;
      offset += 4;
    }
    if (state.length > this.maxMessageBytes) {
      throw new RtmpProtocolError(
        `a message of ${state.length} bytes (limit ${this.maxMessageBytes})`,
      );
    }
    const size = Math.min(this.chunkSize, state.length - state.received);
    if (bytes.length < offset + size) return 0;
    // Only now that the whole chunk is here does it change the stream's state.
    state.timestampField = timestampField;
    state.extended = extended;
    state.parts.push(Buffer.from(bytes.subarray(offset, offset + size)));
    state.received += size;
    this.streams.set(csid, state);
    if (state.received === state.length) {
      const payload = Buffer.concat(state.parts);
      state.parts = [];
      state.received = 0;
      if (state.type === MSG_SET_CHUNK_SIZE) this.setChunkSize(payload);
      messages.push({ type: state.type, streamId: state.streamId, payload });
    }
    return offset + size;
  }

  private setChunkSize(payload: Buffer): void {
    if (payload.length < 4) throw new RtmpProtocolError('a short Set Chunk Size');
    const size = payload.readUInt32BE(0) & 0x7fffffff;
    if (size < 1 || size > 1 << 24) throw new RtmpProtocolError(`chunk size ${size}`);
    this.chunkSize = size;
  }
}

/** One message as chunks of the default size (128): a full header, then 1-byte headers. */
export function writeMessage(
  csid: number,
  message: { type: number; streamId: number; payload: Buffer },
): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header[0] = csid & 0x3f;
  header.writeUIntBE(0, 1, 3);
  header.writeUIntBE(message.payload.length, 4, 3);
  header[7] = message.type;
  header.writeUInt32LE(message.streamId, 8);
  parts.push(header);
  for (let at = 0; at < message.payload.length; at += 128) {
    if (at > 0) parts.push(Buffer.from([0xc0 | (csid & 0x3f)]));
    parts.push(message.payload.subarray(at, at + 128));
  }
  return Buffer.concat(parts);
}
