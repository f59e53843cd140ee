import { EngineError } from './errors.js';

/** Decode an ASCII/Latin-1 body without TextDecoder, in chunks so that a large body cannot
 * overflow the call stack. Not for playlists (UTF-8 by the HLS spec): see `playlistText`. */
export function bytesToText(bytes: Uint8Array): string {
  let text = '';
  const step = 8192;
  for (let i = 0; i < bytes.length; i += step)
    text += String.fromCharCode(...bytes.subarray(i, i + step));
  return text;
}

/** Decodes UTF-8 strictly: throws on a malformed sequence. */
export type Utf8Decode = (bytes: Uint8Array) => string;

/** The web-standard TextDecoder (every browser and Node.js has it), strict. */
interface TextDecoderLike {
  decode(bytes: Uint8Array): string;
}
type TextDecoderConstructor = new (
  label: string,
  options: { fatal: boolean; ignoreBOM: boolean },
) => TextDecoderLike;

/** A strict UTF-8 decoder from the runtime's TextDecoder (throws EngineError 'config' without one). */
export function standardUtf8Decode(): Utf8Decode {
  const Decoder = (globalThis as { TextDecoder?: TextDecoderConstructor }).TextDecoder;
  if (!Decoder) throw new EngineError('config', 'no TextDecoder: give the platform decodeUtf8');
  const decoder = new Decoder('utf-8', { fatal: true, ignoreBOM: false });
  return (bytes) => decoder.decode(bytes);
}

/**
 * A playlist body as text: UTF-8 (RFC 8216 requires it), whole, and only its complete lines.
 * Every playlist line ends with a line feed (RFC 8216 §4.1), so text after the last one is a
 * line still being written or cut off in transit and is left out: a cut URI would be fetched
 * under a wrong name. Throws EngineError 'http_error' when the bytes are not UTF-8.
 */
export function playlistText(bytes: Uint8Array, decode: Utf8Decode): string {
  let text: string;
  try {
    text = decode(bytes);
  } catch (error) {
    throw new EngineError('http_error', 'playlist is not valid UTF-8', { cause: error });
  }
  return text.slice(0, text.lastIndexOf('\n') + 1);
}
