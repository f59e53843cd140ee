/** Engine-internal key of an LL-HLS part within one stream: `<rendition>/<sequence>.<part>`. */
export type PartKey = string;

export interface PartName {
  readonly rendition: string;
  readonly sequence: number;
  /** Index of the part within its segment, from 0. */
  readonly part: number;
}

export function partKey(name: PartName): PartKey {
  return `${name.rendition}/${name.sequence}.${name.part}`;
}

/** Orders parts of one rendition by playback order. */
export function comparePartNames(a: PartName, b: PartName): number {
  return a.sequence - b.sequence || a.part - b.part;
}
