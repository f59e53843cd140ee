/** Conditional requests (RFC 9110 §13) evaluated against what the edge is about to serve. */

export interface Validators {
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

function splitTags(header: string): string[] {
  return header
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
}

/** True when the client's copy is current and the answer is 304 Not Modified. */
export function notModified(
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  validators: Validators,
): boolean {
  if (ifNoneMatch !== undefined) {
    // If-None-Match takes precedence over If-Modified-Since; compared weakly (§13.1.2).
    if (ifNoneMatch.trim() === '*') return true;
    if (validators.etag === undefined) return false;
    const current = opaque(validators.etag);
    return splitTags(ifNoneMatch).some((tag) => opaque(tag) === current);
  }
  if (ifModifiedSince !== undefined && validators.lastModified !== undefined) {
    const since = Date.parse(ifModifiedSince);
    const modified = Date.parse(validators.lastModified);
    return !Number.isNaN(since) && !Number.isNaN(modified) && modified <= since;
  }
  return false;
}

/** If-Range (§13.1.5): true when the Range header may be honoured. */
export function rangeApplies(ifRange: string | undefined, validators: Validators): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    // Strong comparison: weak tags never match.
    return (
      !value.startsWith('W/') &&
      validators.etag !== undefined &&
      !validators.etag.startsWith('W/') &&
      value === validators.etag
    );
  }
  return validators.lastModified !== undefined && value === validators.lastModified;
}
