import type { Logger } from '@coral-cdn/server-kit';
import { parseEnvelope, quit } from './redis-codec.js';
import { RedisHealth, type RecoveryOutcome } from './redis-health.js';
import { scripts, type ScriptName } from './redis-scripts.js';
import { createClient, mastersOf, type RedisClient, type RedisTarget } from './redis-target.js';
import type { ClusterEvent, StoreStatus } from './types.js';

export interface RedisLinkOptions {
  readonly target: RedisTarget;
  readonly nodeId: string;
  readonly keyPrefix: string;
  readonly logger: Logger;
  readonly now: () => number;
  /** Queue this node's members on the batch after an outage; returns how many. */
  readonly reRegister: (batch: Batch) => number;
  readonly onHealthChange?: (healthy: boolean) => void;
  readonly onCommandError?: () => void;
  readonly commandTimeoutMs?: number;
}

/**
 * Commands to send together. Unlike an ioredis pipeline, they may touch keys of any hash slot
 * (a cluster routes each to its master). They are all sent in the tick `runBatch` is called,
 * so commands to one Redis still run in the order queued, and before any later command.
 */
export type Batch = Array<() => Promise<unknown>>;

/** Each command's error or result, in queue order (as an ioredis pipeline answers). */
export type BatchResults = Array<[Error | null, unknown]>;

/** Pause between attempts when Redis is up but refuses the subscription (e.g. an ACL). */
const SUBSCRIBE_RETRY_MS = 500;
/** Pause before retrying a recovery that failed with both connections still up. */
const RECOVERY_RETRY_MS = 1000;

/**
 * The Redis store's two connections (commands; a subscriber for the cluster bus and this
 * node's channel), driven by the health machine: commands fail fast during an outage (no
 * offline queue, no retries) and `run` answers a fallback instead of rejecting; recovery
 * re-registers this node's members, then announces itself once.
 */
export class RedisLink {
  readonly redis: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly eventHandlers: Array<(event: ClusterEvent) => void> = [];
  private readonly recoveredHandlers: Array<() => void> = [];
  /** Both connections, subscriptions and recoveries (redis-health.ts). */
  private readonly health: RedisHealth;
  private lastError: string | null = null;
  private destroyed = false;
  /** Bumped on each subscriber ready/close, so only the latest subscribe attempt counts. */
  private subscriberSession = 0;
  /** Members the last recovery re-registered (for its log line). */
  private reRegistered = 0;
  /** Pending pauses (retries), each with its wake-up: destroy() ends them at once. */
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly busChannel: string;
  private readonly nodeChannel: string;

  constructor(private readonly options: RedisLinkOptions) {
    this.log = options.logger.child({ component: 'redis-store' });
    this.now = options.now ?? Date.now;
    this.health = new RedisHealth(this.now());
    this.busChannel = `${options.keyPrefix}bus`;
    this.nodeChannel = `${options.keyPrefix}node:${options.nodeId}`;
    this.redis = createClient(options.target, {
      connectionName: `tracker-${options.nodeId}`,
      commandTimeoutMs: options.commandTimeoutMs ?? 2000,
      autoResubscribe: true,
    });
    this.subscriber = createClient(options.target, {
      connectionName: `tracker-${options.nodeId}-sub`,
      commandTimeoutMs: undefined,
      // Subscribing is ours to do (and to await) on every ready, so recovery knows when it is done.
      autoResubscribe: false,
    });
    this.redis.on('ready', () => {
      if (!this.destroyed) this.startRecovery(this.health.commandUp());
    });
    this.redis.on('close', () => this.onDown('command', 'connection closed'));
    this.subscriber.on('ready', () => void this.subscribe());
    this.subscriber.on('close', () => {
      this.subscriberSession++;
      this.onDown('subscriber', 'subscriber connection closed');
    });
    for (const client of [this.redis, this.subscriber]) {
      client.on('error', (error: Error) => {
        this.lastError = error.message;
      });
    }
    this.subscriber.on('message', (_channel: string, text: string) => this.onMessage(text));
  }

  /** Connect; resolves either way (unreachable Redis means starting degraded). */
  async start(): Promise<void> {
    const failures: unknown[] = [];
    await Promise.all(
      [this.redis, this.subscriber].map((client) =>
        client.connect().catch((error: unknown) => void failures.push(error)),
      ),
    );
    if (failures.length > 0 && !this.destroyed) {
      this.log.warn('redis unreachable at start: matching only this node’s peers until it is', {
        err: failures[0],
      });
    }
  }

  status(): StoreStatus {
    return {
      kind: 'redis',
      healthy: this.health.healthy,
      degradedSinceMs: this.health.degradedSinceMs,
      lastError: this.lastError,
    };
  }

  async publish(event: ClusterEvent): Promise<void> {
    if (!this.health.healthy) return;
    const channel =
      'toNode' in event ? `${this.options.keyPrefix}node:${event.toNode}` : this.busChannel;
    await this.run('publish', null, () =>
      this.redis.publish(channel, JSON.stringify({ from: this.options.nodeId, event })),
    );
  }

  onEvent(handler: (event: ClusterEvent) => void): void {
    this.eventHandlers.push(handler);
  }

  onRecovered(handler: () => void): void {
    this.recoveredHandlers.push(handler);
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.health.stop();
    for (const [timer, wake] of this.timers) {
      clearTimeout(timer);
      wake();
    }
    this.timers.clear();
    this.redis.removeAllListeners('close');
    this.subscriber.removeAllListeners('close');
    await Promise.all([quit(this.redis), quit(this.subscriber)]);
  }

  // ---- internals ------------------------------------------------------------------------------

  async evalScript(
    name: ScriptName,
    keys: string[],
    args: Array<string | number>,
  ): Promise<unknown> {
    const script = scripts[name];
    try {
      return await this.redis.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.redis.eval(script.source, keys.length, ...keys, ...args);
    }
  }

  /** Send every command of the batch now; each one's error or result, in order. */
  async runBatch(batch: Batch): Promise<BatchResults> {
    const sent = batch.map((command) => command());
    const settled = await Promise.allSettled(sent);
    return settled.map((outcome) =>
      outcome.status === 'fulfilled'
        ? [null, outcome.value]
        : [
            outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason)),
            null,
          ],
    );
  }

  /** Run a command if Redis is healthy; on failure log, count, and return `fallback`. */
  async run<T, F>(what: string, fallback: F, command: () => Promise<T>): Promise<T | F> {
    if (!this.health.healthy || this.destroyed) return fallback;
    try {
      return await command();
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.options.onCommandError?.();
      this.log.warn('redis command failed; using this node only', { what, err: error });
      return fallback;
    }
  }

  /** Subscribe after each subscriber ready; retried while the connection stays up. */
  private async subscribe(): Promise<void> {
    if (this.destroyed) return;
    const session = ++this.subscriberSession;
    while (!this.destroyed && session === this.subscriberSession) {
      try {
        // Resolves once Redis confirmed both channels: from then on nothing sent to them is lost.
        await this.subscriber.subscribe(this.busChannel, this.nodeChannel);
        if (this.destroyed || session !== this.subscriberSession) return;
        this.startRecovery(this.health.subscriberUp());
        return;
      } catch (error) {
        if (this.destroyed || session !== this.subscriberSession) return;
        this.lastError = error instanceof Error ? error.message : String(error);
        this.log.warn('redis subscribe failed; retrying', { err: error });
        await this.sleep(SUBSCRIBE_RETRY_MS);
      }
    }
  }

  /** Run the recovery the health machine started (a generation), then what it says next. */
  private startRecovery(generation: number | null): void {
    if (generation === null) return;
    void this.recover(generation).then((outcome) => {
      const end = this.health.finish(generation, outcome, this.now());
      if (end.announce) this.announceHealthy(end.announce.degradedMs);
      if (end.next === 'recover') this.startRecovery(this.health.retry());
      else if (end.next === 'retry-later') {
        void this.sleep(RECOVERY_RETRY_MS).then(() => this.startRecovery(this.health.retry()));
      }
    });
  }

  private async recover(generation: number): Promise<RecoveryOutcome> {
    const stale = () => this.destroyed || !this.health.isCurrent(generation);
    try {
      // Every master: a cluster runs each script on the master of its keys' slot.
      await Promise.all(
        mastersOf(this.redis).flatMap((master) =>
          Object.values(scripts).map((script) => master.script('LOAD', script.source)),
        ),
      );
    } catch (error) {
      if (stale()) return 'stale';
      this.log.warn('loading redis scripts failed', { err: error });
      return 'failed';
    }
    // Healthy first, then queue the re-registration in this same tick: commands on one
    // connection run in order, so no later write can be overtaken by the snapshot.
    if (!this.health.markHealthy(generation)) return 'stale';
    const batch: Batch = [];
    const members = this.options.reRegister(batch);
    const results = await this.runBatch(batch);
    // A close meanwhile already made this node degraded again (still one outage, not reported).
    if (stale()) return 'stale';
    const failed = results.filter(([error]) => error).length;
    if (failed > 0 && failed === results.length) {
      this.log.warn('re-registering members failed', { err: results[0]![0] });
      return 'failed';
    }
    if (failed > 0) this.log.warn('some members were not re-registered', { failed });
    this.reRegistered = members;
    return 'done';
  }

  private announceHealthy(degradedMs: number | null): void {
    this.log.info(degradedMs === null ? 'redis connected' : 'redis recovered', {
      reRegistered: this.reRegistered,
      degradedMs: degradedMs ?? 0,
    });
    for (const handler of [() => this.options.onHealthChange?.(true), ...this.recoveredHandlers]) {
      try {
        handler();
      } catch (error) {
        this.log.error('redis recovery handler failed', { err: error });
      }
    }
  }

  /** Either connection closed: degraded until a recovery completes. Announced once per outage. */
  private onDown(connection: 'command' | 'subscriber', reason: string): void {
    if (this.destroyed || !this.health.down(connection, this.now())) return;
    this.log.warn('redis unreachable: matching only this node’s peers until it returns', {
      reason,
      lastError: this.lastError,
    });
    this.options.onHealthChange?.(false);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      timer.unref();
      this.timers.set(timer, resolve);
    });
  }

  private onMessage(text: string): void {
    const envelope = parseEnvelope(text);
    if (!envelope) return;
    if (envelope.from === this.options.nodeId) return;
    for (const handler of this.eventHandlers) {
      try {
        handler(envelope.event);
      } catch (error) {
        this.log.error('cluster event handler failed', { err: error });
      }
    }
  }
}
