/**
 * The Redis store's connection health, as a state machine with no I/O. The store has two
 * connections (commands, and a subscriber for other nodes' events); it is healthy only after
 * a recovery that began with BOTH up and subscribed completed with neither closing meanwhile.
 * Marking healthy on the command connection alone loses whatever other nodes send this node
 * before its subscription is back (a signal sent in the first second after Redis returns).
 * Outages and recoveries are each announced once, however Redis flaps.
 */
export type RecoveryOutcome = 'done' | 'stale' | 'failed';

export interface RecoveryEnd {
  /** What to do next: start another recovery now, after a pause, or nothing. */
  readonly next: 'recover' | 'retry-later' | 'none';
  /** Set when this recovery ends an outage to announce: how long it lasted (null: first connect). */
  readonly announce: { readonly degradedMs: number | null } | null;
}

export class RedisHealth {
  private commandReady = false;
  private subscribed = false;
  private recovering = false;
  /** Bumped whenever either connection closes: a recovery begun before then is stale. */
  private generation = 0;
  private healthyNow = false;
  /** What was last announced; each outage and each recovery is announced once. */
  private announcedHealthy = false;
  private connectedOnce = false;
  private degradedSince: number | null;
  private stopped = false;

  constructor(nowMs: number) {
    this.degradedSince = nowMs;
  }

  /** Commands may go to Redis. */
  get healthy(): boolean {
    return this.healthyNow;
  }

  /** Since when the store is degraded (null while healthy). */
  get degradedSinceMs(): number | null {
    return this.healthyNow ? null : this.degradedSince;
  }

  /** The command connection is ready: the generation of a recovery to start, or null. */
  commandUp(): number | null {
    this.commandReady = true;
    return this.tryStart();
  }

  /** Redis confirmed the subscriptions: the generation of a recovery to start, or null. */
  subscriberUp(): number | null {
    this.subscribed = true;
    return this.tryStart();
  }

  /** A connection closed: true when this begins an outage to announce. */
  down(connection: 'command' | 'subscriber', nowMs: number): boolean {
    if (connection === 'command') this.commandReady = false;
    else this.subscribed = false;
    if (this.stopped) return false;
    this.generation++;
    this.healthyNow = false;
    if (!this.announcedHealthy) return false;
    this.announcedHealthy = false;
    this.degradedSince = nowMs;
    return true;
  }

  /** Whether a recovery of `generation` is still current (no close since it began). */
  isCurrent(generation: number): boolean {
    return !this.stopped && generation === this.generation;
  }

  /**
   * A current recovery is about to re-register this node's members: healthy from here, so
   * that later writes queue behind the snapshot on the same connection. False when stale.
   */
  markHealthy(generation: number): boolean {
    if (!this.isCurrent(generation)) return false;
    this.healthyNow = true;
    return true;
  }

  /** A recovery ended. */
  finish(generation: number, outcome: RecoveryOutcome, nowMs: number): RecoveryEnd {
    this.recovering = false;
    if (this.stopped) return { next: 'none', announce: null };
    const current = generation === this.generation;
    if (outcome === 'done' && current) {
      if (this.announcedHealthy) return { next: 'none', announce: null };
      const degradedMs = this.connectedOnce ? nowMs - this.degradedSince! : null;
      this.connectedOnce = true;
      this.announcedHealthy = true;
      return { next: 'none', announce: { degradedMs } };
    }
    if (current) this.healthyNow = false;
    if (outcome === 'failed' && current) return { next: 'retry-later', announce: null };
    return { next: this.ready() ? 'recover' : 'none', announce: null };
  }

  /** Try again after a failed recovery's pause: the generation to start, or null. */
  retry(): number | null {
    return this.tryStart();
  }

  stop(): void {
    this.stopped = true;
    this.healthyNow = false;
  }

  private ready(): boolean {
    return this.commandReady && this.subscribed;
  }

  private tryStart(): number | null {
    if (this.stopped || this.healthyNow || this.recovering || !this.ready()) return null;
    this.recovering = true;
    return this.generation;
  }
}
