import {
  decodeServerMessage,
  encodeTrackerMessage,
  PEER_PROTOCOL_VERSION,
  TRACKER_PROTOCOL_VERSION,
  type BeaconStats,
  type ClientMessage,
  type ConnectionType,
  type ElectionMessage,
  type ErrorMessage,
  type PeerInfo,
  type ReportReason,
  type SignalPayload,
} from '@coral-cdn/protocol';
import { Emitter } from './emitter.js';
import type { EnginePlatform, TimerId, WebSocketLike } from './platform.js';

export interface TrackerClientOptions {
  url: string;
  token: string;
  refreshToken?: () => Promise<string>;
  region: string;
  uploadKbps: number;
  connectionType: ConnectionType;
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

interface SwarmMembership {
  live: boolean;
  /** Sequences held, announced in the next join after a reconnect. */
  have: () => number[];
  joined: boolean;
  pendingAdded: Set<number>;
  pendingLost: Set<number>;
}

interface TrackerEvents {
  connected: () => void;
  disconnected: () => void;
  joined: (swarmId: string, peerId: string) => void;
  peers: (swarmId: string, peers: PeerInfo[]) => void;
  /** `uploadKbps`: on an offer, what the offerer announced to the tracker. */
  signal: (swarmId: string, from: string, signal: SignalPayload, uploadKbps?: number) => void;
  election: (election: ElectionMessage) => void;
  'peer-gone': (swarmId: string, peerId: string) => void;
  'tracker-error': (error: ErrorMessage) => void;
}

/**
 * The engine's WebSocket to the tracker: joins swarms, sends have deltas (batched), asks for
 * peers, relays signalling, reports bad peers, sends beacons, pings within the heartbeat, and
 * reconnects with jittered exponential back-off, re-joining every swarm with what it holds.
 */
export class TrackerClient extends Emitter<TrackerEvents> {
  private socket: WebSocketLike | null = null;
  private open = false;
  private destroyed = false;
  private attempt = 0;
  private reconnectTimer: TimerId | null = null;
  private heartbeatTimer: TimerId | null = null;
  private flushTimer: TimerId | null = null;
  private heartbeatMs = 15_000;
  private token: string;
  private refreshing: Promise<void> | null = null;
  private readonly swarms = new Map<string, SwarmMembership>();
  /** The tracker's id for this peer (the same for every swarm). */
  peerId: string | null = null;

  constructor(
    private readonly platform: EnginePlatform,
    private readonly options: TrackerClientOptions,
  ) {
    super();
    this.token = options.token;
  }

  get connected(): boolean {
    return this.open;
  }

  start(): void {
    if (this.destroyed || this.socket) return;
    this.connect();
  }

  join(swarmId: string, live: boolean, have: () => number[]): void {
    if (this.swarms.has(swarmId)) return;
    this.swarms.set(swarmId, {
      live,
      have,
      joined: false,
      pendingAdded: new Set(),
      pendingLost: new Set(),
    });
    if (this.open) this.sendJoin(swarmId);
  }

  leave(swarmId: string): void {
    if (!this.swarms.delete(swarmId)) return;
    this.send({ type: 'leave', swarmId });
  }

  isJoined(swarmId: string): boolean {
    return this.swarms.get(swarmId)?.joined === true;
  }

  /** Queue a have delta; deltas are flushed together shortly after. */
  announce(swarmId: string, added: readonly number[], lost: readonly number[]): void {
    const swarm = this.swarms.get(swarmId);
    if (!swarm) return;
    for (const sequence of added) {
      swarm.pendingLost.delete(sequence);
      swarm.pendingAdded.add(sequence);
    }
    for (const sequence of lost) {
      swarm.pendingAdded.delete(sequence);
      swarm.pendingLost.add(sequence);
    }
    this.flushTimer ??= this.platform.clock.setTimeout(() => this.flush(), 50);
  }

  getPeers(swarmId: string, need: readonly number[], max: number): void {
    if (!this.isJoined(swarmId)) return;
    this.send({
      type: 'get-peers',
      swarmId,
      need: need.slice(0, 64),
      max: Math.min(Math.max(max, 1), 50),
    });
  }

  signal(swarmId: string, to: string, signal: SignalPayload): boolean {
    return this.send({ type: 'signal', swarmId, to, signal });
  }

  report(swarmId: string, peerId: string, reason: ReportReason, sequence?: number): void {
    this.send({
      type: 'report',
      swarmId,
      peerId,
      reason,
      ...(sequence === undefined ? {} : { sequence }),
    });
  }

  beacon(swarmId: string, stats: BeaconStats): void {
    if (this.isJoined(swarmId)) this.send({ type: 'beacon', swarmId, stats });
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const timer of [this.reconnectTimer, this.heartbeatTimer, this.flushTimer]) {
      if (timer !== null) this.platform.clock.clearTimeout(timer);
    }
    const socket = this.socket;
    this.socket = null;
    this.open = false;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.onerror = null;
      socket.onopen = null;
      try {
        socket.close(1000, 'bye');
      } catch (_error) {
        // already closed
      }
    }
    this.swarms.clear();
    this.removeAll();
  }

  private connect(): void {
    let socket: WebSocketLike;
    try {
      socket = this.platform.createWebSocket(this.options.url);
    } catch (error) {
      this.log('warn', 'tracker connection failed', { error: String(error) });
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.open = true;
      this.attempt = 0;
      for (const swarmId of this.swarms.keys()) this.sendJoin(swarmId);
      this.scheduleHeartbeat();
      this.emit('connected');
    };
    socket.onmessage = (text) => {
      if (this.socket === socket) this.onMessage(text);
    };
    socket.onerror = () => undefined; // onclose follows
    socket.onclose = () => {
      if (this.socket !== socket) return;
      const wasOpen = this.open;
      this.socket = null;
      this.open = false;
      for (const swarm of this.swarms.values()) swarm.joined = false;
      if (this.heartbeatTimer !== null) this.platform.clock.clearTimeout(this.heartbeatTimer);
      this.heartbeatTimer = null;
      if (wasOpen) this.emit('disconnected');
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.destroyed) return;
    const base = Math.min(
      this.options.reconnectMaxMs,
      this.options.reconnectMinMs * 2 ** this.attempt,
    );
    const delayMs = base / 2 + this.platform.random() * (base / 2);
    this.attempt++;
    this.reconnectTimer = this.platform.clock.setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.destroyed) this.connect();
    }, delayMs);
  }

  private scheduleHeartbeat(): void {
    if (this.heartbeatTimer !== null) this.platform.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = this.platform.clock.setTimeout(() => {
      this.heartbeatTimer = null;
      if (!this.open) return;
      this.send({ type: 'ping', t: this.platform.clock.now() });
      this.scheduleHeartbeat();
    }, this.heartbeatMs / 3);
  }

  private sendJoin(swarmId: string): void {
    const swarm = this.swarms.get(swarmId);
    if (!swarm) return;
    swarm.pendingAdded.clear();
    swarm.pendingLost.clear();
    this.send({
      type: 'join',
      v: TRACKER_PROTOCOL_VERSION,
      token: this.token,
      swarmId,
      region: this.options.region,
      uploadKbps: this.options.uploadKbps,
      connectionType: this.options.connectionType,
      live: swarm.live,
      have: swarm.have().slice(-1024),
      peerProtocol: PEER_PROTOCOL_VERSION,
    });
  }

  /** Get a fresh token once (concurrent refusals share it) and re-join what is not joined. */
  private refreshTokenAndRejoin(): void {
    if (this.refreshing || !this.options.refreshToken || this.destroyed) return;
    this.refreshing = this.options
      .refreshToken()
      .then((token) => {
        this.token = token;
        if (!this.open || !this.socket) return; // the next connect joins with it
        // A fresh token may name another viewer, which the tracker refuses on a connection
        // that joined as the old one: with swarms joined, start over on a new connection.
        if ([...this.swarms.values()].some((swarm) => swarm.joined)) {
          this.socket.close(1000, 'token refreshed');
          return;
        }
        for (const swarmId of this.swarms.keys()) this.sendJoin(swarmId);
      })
      .catch((error: unknown) => this.log('warn', 'token refresh failed', { error: String(error) }))
      .finally(() => {
        this.refreshing = null;
      });
  }

  private flush(): void {
    this.flushTimer = null;
    for (const [swarmId, swarm] of this.swarms) {
      if (!swarm.joined || (swarm.pendingAdded.size === 0 && swarm.pendingLost.size === 0))
        continue;
      const added = [...swarm.pendingAdded].slice(0, 1024);
      const lost = [...swarm.pendingLost].slice(0, 1024);
      swarm.pendingAdded.clear();
      swarm.pendingLost.clear();
      this.send({ type: 'have', swarmId, added, lost });
    }
  }

  private onMessage(text: string): void {
    const decoded = decodeServerMessage(text);
    if (!decoded.ok) {
      this.log('warn', 'bad message from tracker', { error: decoded.error.message });
      return;
    }
    const message = decoded.value;
    switch (message.type) {
      case 'joined': {
        const swarm = this.swarms.get(message.swarmId);
        if (!swarm) return;
        swarm.joined = true;
        this.peerId = message.peerId;
        this.heartbeatMs = message.heartbeatMs;
        this.scheduleHeartbeat();
        this.emit('joined', message.swarmId, message.peerId);
        return;
      }
      case 'peers':
        this.emit('peers', message.swarmId, message.peers);
        return;
      case 'signal':
        this.emit('signal', message.swarmId, message.from, message.signal, message.uploadKbps);
        return;
      case 'election':
        this.emit('election', message);
        return;
      case 'peer-gone':
        this.emit('peer-gone', message.swarmId, message.peerId);
        return;
      case 'error':
        this.log(message.fatal ? 'error' : 'warn', 'tracker error', {
          code: message.code,
          message: message.message,
        });
        if (message.code === 'token_expired' || message.code === 'unauthorized')
          this.refreshTokenAndRejoin();
        this.emit('tracker-error', message);
        return;
      case 'pong':
        return;
    }
  }

  private send(message: ClientMessage): boolean {
    if (!this.socket || !this.open) return false;
    try {
      this.socket.send(encodeTrackerMessage(message));
      return true;
    } catch (_error) {
      return false;
    }
  }

  private log(
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Record<string, unknown>,
  ): void {
    this.platform.log?.(level, message, { component: 'tracker-client', ...fields });
  }
}
