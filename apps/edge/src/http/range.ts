/** `Range: bytes=...` handling (RFC 9110 §14). One range is served; several are answered with
 * the whole representation, which the RFC allows. */

export type RangeResult =
  /** No usable Range header: serve the whole body with 200. */
  | { readonly kind: 'none' }
  /** Serve bytes start..end (inclusive) with 206. */
  | { readonly kind: 'range'; readonly start: number; readonly end: number }
  /** 416 with `Content-Range: bytes *\/size`. */
  | { readonly kind: 'unsatisfiable' };

const NONE: RangeResult = { kind: 'none' };
const UNSATISFIABLE: RangeResult = { kind: 'unsatisfiable' };
const SPEC = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i;

export function parseRange(header: string | undefined, sizeBytes: number): RangeResult {
  if (header === undefined) return NONE;
  // Several ranges, or a syntax we do not understand: ignore the header (RFC 9110 §14.2).
  if (header.includes(',')) return NONE;
  const match = SPEC.exec(header);
  if (!match) return NONE;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return NONE;
  if (first === '') {
    // Suffix range: the last N bytes.
    const length = Number(last);
    if (length === 0 || sizeBytes === 0) return UNSATISFIABLE;
    return { kind: 'range', start: Math.max(0, sizeBytes - length), end: sizeBytes - 1 };
  }
  const start = Number(first);
  const end = last === '' ? sizeBytes - 1 : Math.min(Number(last), sizeBytes - 1);
  if (last !== '' && Number(last) < start) return NONE;
  if (start >= sizeBytes) return UNSATISFIABLE;
  return { kind: 'range', start, end };
}

export function contentRange(start: number, end: number, sizeBytes: number): string {
  return `bytes ${start}-${end}/${sizeBytes}`;
}
