import type { Clock, TimerId } from '@coral-cdn/p2p-engine';

/**
 * A flow-level network: links (a peer's uplink or downlink, the CDN's egress) with a capacity,
 * and flows (one direction of a data channel, one HTTP response) crossing at most one uplink and
 * one downlink, each with its own path cap (loss and RTT). A flow is active while it has bytes
 * queued; whenever one starts or ends, the rates of the flows sharing its two links are
 * recomputed by progressive filling (max-min fairness), with what those links' other flows
 * already use held fixed. Packets are not modelled: a queued message completes when the flow
 * has moved its bytes at its current rate.
 */
export class Link {
  /** Active flows crossing this link. */
  readonly flows = new Set<Flow>();
  /** Bytes moved over this link (wire bytes). */
  movedBytes = 0;

  constructor(readonly capacityBytesPerSec: number) {
    if (!(capacityBytesPerSec > 0)) throw new RangeError('link capacity must be > 0 bytes/s');
  }
}

interface Queued {
  readonly wireBytes: number;
  readonly done: () => void;
}

export class Flow {
  readonly queue: Queued[] = [];
  /** Bytes of the head message already moved. */
  headMovedBytes = 0;
  /** Current rate, bytes per millisecond (0 while idle). */
  rateBytesPerMs = 0;
  lastSettleMs = 0;
  timer: TimerId | null = null;
  active = false;
  closed = false;
  /** Wire bytes moved in total. */
  movedBytes = 0;

  /** Path cap of the current burst, bytes/s (the base cap, or a draw around it). */
  capBytesPerSec: number;

  constructor(
    readonly up: Link | null,
    readonly down: Link | null,
    /** Path cap, bytes/s (Infinity: links only). */
    readonly baseCapBytesPerSec: number,
    /** Each burst's cap is drawn around the base cap (loss recovery varies per transfer). */
    readonly spread: boolean = false,
  ) {
    this.capBytesPerSec = baseCapBytesPerSec;
  }
}

/** A burst's transfer-time factor (1: the base cap); drawn when an idle flow starts sending. */
export type BurstFactor = () => number;

export class FlowNetwork {
  /** Recomputations run (a cost figure). */
  recomputes = 0;

  constructor(
    private readonly clock: Clock,
    /** Draws the time factor of a spread flow's burst (null: every burst at the base cap). */
    private readonly burstFactor: BurstFactor | null = null,
  ) {}

  openFlow(up: Link | null, down: Link | null, capBytesPerSec = Infinity, spread = false): Flow {
    return new Flow(up, down, capBytesPerSec, spread);
  }

  /** Queue `wireBytes` on the flow; `done` runs when the last of them has left. */
  send(flow: Flow, wireBytes: number, done: () => void): void {
    if (flow.closed) return;
    flow.queue.push({ wireBytes: Math.max(0, wireBytes), done });
    if (!flow.active) {
      // A burst from idle: on a lossy path (finite cap) its loss recovery, and so its time,
      // is its own draw.
      if (flow.spread && this.burstFactor && Number.isFinite(flow.baseCapBytesPerSec))
        flow.capBytesPerSec = flow.baseCapBytesPerSec / this.burstFactor();
      flow.active = true;
      flow.lastSettleMs = this.clock.now();
      flow.up?.flows.add(flow);
      flow.down?.flows.add(flow);
      this.recompute(flow);
    }
  }

  /** Drop what is queued (no `done` runs) and stop the flow. */
  close(flow: Flow): void {
    if (flow.closed) return;
    this.settle(flow);
    flow.closed = true;
    flow.queue.length = 0;
    this.deactivate(flow);
  }

  private deactivate(flow: Flow): void {
    if (!flow.active) return;
    flow.active = false;
    flow.rateBytesPerMs = 0;
    flow.headMovedBytes = 0;
    if (flow.timer !== null) this.clock.clearTimeout(flow.timer);
    flow.timer = null;
    flow.up?.flows.delete(flow);
    flow.down?.flows.delete(flow);
    this.recompute(flow);
  }

  /** Account the bytes moved since the last settle at the current rate. */
  private settle(flow: Flow): void {
    const now = this.clock.now();
    if (flow.active && flow.rateBytesPerMs > 0) {
      const moved = flow.rateBytesPerMs * (now - flow.lastSettleMs);
      flow.headMovedBytes += moved;
      flow.movedBytes += moved;
      if (flow.up) flow.up.movedBytes += moved;
      if (flow.down) flow.down.movedBytes += moved;
    }
    flow.lastSettleMs = now;
  }

  /** Max-min fair rates for the flows on the changed flow's links. */
  private recompute(changed: Flow): void {
    this.recomputes++;
    const flows = new Set<Flow>();
    for (const link of [changed.up, changed.down])
      if (link) for (const flow of link.flows) flows.add(flow);
    if (flows.size === 0) return;
    for (const flow of flows) this.settle(flow);
    const rates = maxMinRates([...flows]);
    for (const [flow, rateBytesPerSec] of rates) {
      const rate = rateBytesPerSec / 1000;
      if (rate === flow.rateBytesPerMs && flow.timer !== null) continue;
      flow.rateBytesPerMs = rate;
      this.schedule(flow);
    }
  }

  private schedule(flow: Flow): void {
    if (flow.timer !== null) this.clock.clearTimeout(flow.timer);
    flow.timer = null;
    const head = flow.queue[0];
    if (!head || flow.rateBytesPerMs <= 0) return;
    const leftBytes = Math.max(0, head.wireBytes - flow.headMovedBytes);
    flow.timer = this.clock.setTimeout(() => this.headDone(flow), leftBytes / flow.rateBytesPerMs);
  }

  private headDone(flow: Flow): void {
    flow.timer = null;
    this.settle(flow);
    const head = flow.queue.shift();
    if (!head) return;
    // Rounding: the moved bytes of the head are exactly its size.
    const excess = flow.headMovedBytes - head.wireBytes;
    flow.movedBytes -= excess;
    if (flow.up) flow.up.movedBytes -= excess;
    if (flow.down) flow.down.movedBytes -= excess;
    flow.headMovedBytes = 0;
    if (flow.queue.length === 0) this.deactivate(flow);
    else this.schedule(flow);
    head.done();
  }
}

/**
 * Progressive filling over `flows`: every flow's rate grows equally until a link it crosses is
 * full (or its path cap is reached); those flows freeze and the rest keep growing. A link's
 * capacity counts only what its flows outside `flows` leave free.
 */
export function maxMinRates(flows: readonly Flow[]): Map<Flow, number> {
  const inSet = new Set(flows);
  const free = new Map<Link, number>();
  const unfrozen = new Map<Link, number>();
  for (const flow of flows) {
    for (const link of [flow.up, flow.down]) {
      if (!link || free.has(link)) continue;
      let used = 0;
      for (const other of link.flows) if (!inSet.has(other)) used += other.rateBytesPerMs * 1000;
      free.set(link, Math.max(link.capacityBytesPerSec * 1e-6, link.capacityBytesPerSec - used));
      unfrozen.set(link, 0);
    }
  }
  for (const flow of flows)
    for (const link of [flow.up, flow.down]) if (link) unfrozen.set(link, unfrozen.get(link)! + 1);
  const rates = new Map<Flow, number>();
  let level = 0;
  let left = flows.length;
  while (left > 0) {
    // The next bottleneck: the smallest equal share a link can still give, or a path cap.
    let step = Infinity;
    for (const [link, count] of unfrozen)
      if (count > 0) step = Math.min(step, free.get(link)! / count);
    for (const flow of flows)
      if (!rates.has(flow)) step = Math.min(step, flow.capBytesPerSec - level);
    if (!Number.isFinite(step)) {
      // Nothing limits the remaining flows: give them a very large rate.
      for (const flow of flows) if (!rates.has(flow)) rates.set(flow, 1e12);
      break;
    }
    level += step;
    for (const [link, count] of unfrozen)
      if (count > 0) free.set(link, free.get(link)! - step * count);
    for (const flow of flows) {
      if (rates.has(flow)) continue;
      const saturated =
        flow.capBytesPerSec - level <= 1e-9 * Math.max(1, level) ||
        [flow.up, flow.down].some(
          (link) => link && free.get(link)! <= 1e-9 * link.capacityBytesPerSec,
        );
      if (!saturated) continue;
      rates.set(flow, level);
      left--;
      for (const link of [flow.up, flow.down])
        if (link) unfrozen.set(link, unfrozen.get(link)! - 1);
    }
  }
  return rates;
}
