import { dropOldest } from './drop-oldest.js';
import { partKey, type PartKey, type PartName } from './part-key.js';

/** Parts one remote peer announced, the newest `maxParts` (older ones have left the live edge). */
export class RemoteParts {
  private readonly held = new Set<PartKey>();

  constructor(private readonly maxParts = 256) {}

  add(name: PartName): void {
    const key = partKey(name);
    this.held.delete(key);
    this.held.add(key);
    dropOldest(this.held, this.maxParts);
  }

  has(name: PartName): boolean {
    return this.held.has(partKey(name));
  }

  delete(name: PartName): void {
    this.held.delete(partKey(name));
  }
}
