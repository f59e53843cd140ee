/**
 * A linear pre-check of a client's JSON text before it is parsed: parsing and validating a
 * message costs time in proportion to its keys and nesting, so a frame padded with thousands
 * of extra keys (schema-valid once the extras are stripped) would buy CPU for free. The check
 * walks the text once, counting object keys, array items and nesting, and measuring strings;
 * a frame beyond any limit is refused without being parsed.
 */

export interface FrameShapeLimits {
  /** Object keys in the whole message (every message of the protocol has a few dozen at most). */
  readonly maxKeys: number;
  /** Nesting of objects and arrays (the protocol's messages nest two levels). */
  readonly maxDepth: number;
  /** Array items in the whole message (sequence lists). */
  readonly maxItems: number;
  /** Characters of one string as written, escapes included (an SDP is the longest). */
  readonly maxStringChars: number;
}

/** What every client message of the protocol fits, with room to spare. */
export const CLIENT_FRAME_LIMITS: FrameShapeLimits = {
  maxKeys: 48,
  maxDepth: 4,
  maxItems: 2 * 1024 + 64,
  maxStringChars: 64 * 1024,
};

export type FrameShapeVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly limit: keyof FrameShapeLimits; readonly message: string };

const OK: FrameShapeVerdict = { ok: true };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * Check `text` against `limits` in one pass. Not a JSON validator: malformed text that fits
 * the limits passes here and is refused by the parser after.
 */
export function checkFrameShape(text: string, limits: FrameShapeLimits): FrameShapeVerdict {
  let keys = 0;
  let items = 0;
  let depth = 0;
  /** Per open container: true for an array (its commas separate items). */
  const arrays: boolean[] = [];
  let i = 0;
  const length = text.length;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      i++;
      while (i < length) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i += 2;
        else if (s === QUOTE) break;
        else i++;
      }
      if (i - start - 1 > limits.maxStringChars) {
        return refuse('maxStringChars', `a string longer than ${limits.maxStringChars} characters`);
      }
    } else if (c === COLON) {
      if (++keys > limits.maxKeys) return refuse('maxKeys', `more than ${limits.maxKeys} keys`);
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > limits.maxDepth) {
        return refuse('maxDepth', `nested deeper than ${limits.maxDepth} levels`);
      }
      arrays.push(c === OPEN_ARRAY);
      if (c === OPEN_ARRAY && ++items > limits.maxItems) return tooManyItems(limits);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
      arrays.pop();
    } else if (c === COMMA && arrays[arrays.length - 1] === true) {
      if (++items > limits.maxItems) return tooManyItems(limits);
    }
    i++;
  }
  return OK;
}

function tooManyItems(limits: FrameShapeLimits): FrameShapeVerdict {
  return refuse('maxItems', `more than ${limits.maxItems} array items`);
}

function refuse(limit: keyof FrameShapeLimits, what: string): FrameShapeVerdict {
  return { ok: false, limit, message: `message refused before parsing: ${what}` };
}
