/** Open connections per client address. */
export class ConnectionsPerIp {
  private readonly counts = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Reserve a slot for `ip`; false when it already has `limit` connections. */
  acquire(ip: string): boolean {
    const count = this.counts.get(ip) ?? 0;
    if (count >= this.limit) return false;
    this.counts.set(ip, count + 1);
    return true;
  }

  release(ip: string): void {
    const count = this.counts.get(ip) ?? 0;
    if (count <= 1) this.counts.delete(ip);
    else this.counts.set(ip, count - 1);
  }

  count(ip: string): number {
    return this.counts.get(ip) ?? 0;
  }
}
