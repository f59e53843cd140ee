/** Engine-internal key of a segment within one stream: `<rendition>/<sequence>`. */
export type SegmentKey = string;

export function segmentKey(rendition: string, sequence: number): SegmentKey {
  return `${rendition}/${sequence}`;
}

export function parseSegmentKey(key: SegmentKey): { rendition: string; sequence: number } {
  const slash = key.lastIndexOf('/');
  return { rendition: key.slice(0, slash), sequence: Number(key.slice(slash + 1)) };
}
