/**
 * Blocking playlist reload (RFC 8216bis 6.2.5.2) as pure decisions: what a request's
 * `_HLS_msn` / `_HLS_part` ask for, and whether the playlist as it stands answers it now,
 * later, or never (too far ahead: 400).
 */

export interface PartPosition {
  readonly msn: number;
  readonly part: number;
}

export type BlockingRequest =
  | { readonly kind: 'none' }
  | { readonly kind: 'block'; readonly msn: number; readonly part: number | null }
  | { readonly kind: 'bad'; readonly message: string };

/** How many parts past the last one a request may ask for (the spec's Advance Part Limit). */
export const ADVANCE_PART_LIMIT = 3;
/** How many segments past the last complete one a request may ask for. */
export const ADVANCE_MSN_LIMIT = 2;

const DECIMAL = /^\d{1,10}$/;

function single(value: unknown): string | undefined | null {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : null;
}

export function parseBlockingQuery(query: Record<string, unknown>): BlockingRequest {
  const msn = single(query._HLS_msn);
  const part = single(query._HLS_part);
  if (msn === undefined && part === undefined) return { kind: 'none' };
  if (msn === undefined) return { kind: 'bad', message: '_HLS_part needs _HLS_msn' };
  if (msn === null || !DECIMAL.test(msn)) {
    return { kind: 'bad', message: '_HLS_msn must be a decimal integer' };
  }
  if (part === null || (part !== undefined && !DECIMAL.test(part))) {
    return { kind: 'bad', message: '_HLS_part must be a decimal integer' };
  }
  return { kind: 'block', msn: Number(msn), part: part === undefined ? null : Number(part) };
}

export interface PublishedState {
  readonly lastPart: PartPosition | null;
  readonly lastCompleteMsn: number;
  readonly ended: boolean;
}

export type BlockingDecision = 'ready' | 'wait' | 'too_far';

export function decideBlocking(
  state: PublishedState,
  request: { readonly msn: number; readonly part: number | null },
): BlockingDecision {
  const { lastPart, lastCompleteMsn } = state;
  if (request.part === null) {
    if (lastCompleteMsn >= request.msn) return 'ready';
  } else {
    if (lastCompleteMsn >= request.msn) return 'ready';
    if (
      lastPart !== null &&
      (lastPart.msn > request.msn ||
        (lastPart.msn === request.msn && lastPart.part >= request.part))
    ) {
      return 'ready';
    }
  }
  // An ended stream will never grow: answer with what there is.
  if (state.ended) return 'ready';
  if (request.msn > lastCompleteMsn + ADVANCE_MSN_LIMIT) return 'too_far';
  if (
    request.part !== null &&
    lastPart !== null &&
    request.msn === lastPart.msn &&
    request.part > lastPart.part + ADVANCE_PART_LIMIT
  ) {
    return 'too_far';
  }
  return 'wait';
}

/**
 * A request for a part that does not exist yet: hold it when it is the hinted part or close
 * behind it (a few parts ahead), refuse it (404) when it is gone, skipped or far ahead.
 */
export function decidePartRequest(
  state: PublishedState & { readonly hint: PartPosition | null },
  wanted: PartPosition,
  exists: boolean,
): 'serve' | 'wait' | 'missing' {
  if (exists) return 'serve';
  const { hint } = state;
  if (state.ended || hint === null) return 'missing';
  const before = (a: PartPosition, b: PartPosition) =>
    a.msn < b.msn || (a.msn === b.msn && a.part < b.part);
  if (before(wanted, hint)) return 'missing'; // passed without this part: never will be
  if (wanted.msn > hint.msn + 1) return 'missing';
  if (wanted.msn === hint.msn && wanted.part > hint.part + ADVANCE_PART_LIMIT) return 'missing';
  if (wanted.msn === hint.msn + 1 && wanted.part > ADVANCE_PART_LIMIT) return 'missing';
  return 'wait';
}
