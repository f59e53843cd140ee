import {
  decodeClientMessage,
  encodeTrackerMessage,
  relayedSignal,
  type ClientMessage,
  type PeerInfo,
  type ReportMessage,
  type ServerMessage,
} from '@coral-cdn/protocol';
import type { ServerSideSocket, SimNetwork, SocketServer } from './sim-network.js';

interface Member {
  peerId: string;
  socket: ServerSideSocket;
  region: string;
  uploadKbps: number;
  have: Set<number>;
  joinedAtMs: number;
}

/**
 * An in-process tracker speaking the real protocol over the sim network: joins, have deltas,
 * ranked peer lists, signal relay, live elections (every member a candidate, one fetcher per
 * segment) and reports. The real tracker (apps/tracker) has its own tests; this one lets the
 * engine's tests control and observe the swarm.
 */
export class FakeTracker implements SocketServer {
  readonly swarms = new Map<string, Map<string, Member>>();
  readonly live = new Set<string>();
  readonly reports: ReportMessage[] = [];
  readonly received: ClientMessage[] = [];
  private readonly sockets = new Set<ServerSideSocket>();
  private nextPeer = 1;
  private epoch = 0;
  /** Override who the election names (default: every member). */
  electionFetchers: ((swarmId: string, members: string[]) => string[]) | null = null;

  constructor(
    private readonly network: SimNetwork,
    readonly url = 'ws://tracker.sim/ws',
  ) {}

  start(): this {
    this.network.listen(this.url, this);
    return this;
  }

  /** The tracker dies: every socket closes and new connections are refused. */
  stop(): void {
    this.network.unlisten(this.url);
    for (const socket of this.sockets) socket.close();
    this.sockets.clear();
    this.swarms.clear();
  }

  accept(socket: ServerSideSocket): void {
    this.sockets.add(socket);
    const peerId = `peer-${String(this.nextPeer++).padStart(6, '0')}`;
    const joined = new Set<string>();
    socket.onmessage = (text) => {
      const decoded = decodeClientMessage(text);
      if (!decoded.ok) {
        this.send(socket, { type: 'error', code: 'bad_message', message: decoded.error.message });
        return;
      }
      const message = decoded.value;
      this.received.push(message);
      this.handle(socket, peerId, joined, message);
    };
    socket.onclose = () => {
      this.sockets.delete(socket);
      for (const swarmId of joined) this.removeMember(swarmId, peerId);
    };
  }

  members(swarmId: string): string[] {
    return [...(this.swarms.get(swarmId)?.keys() ?? [])];
  }

  private handle(
    socket: ServerSideSocket,
    peerId: string,
    joined: Set<string>,
    message: ClientMessage,
  ): void {
    switch (message.type) {
      case 'join': {
        if (message.token.startsWith('expired')) {
          this.send(socket, {
            type: 'error',
            code: 'token_expired',
            message: 'token expired',
            ref: 'join',
          });
          return;
        }
        let swarm = this.swarms.get(message.swarmId);
        if (!swarm) {
          swarm = new Map();
          this.swarms.set(message.swarmId, swarm);
        }
        swarm.set(peerId, {
          peerId,
          socket,
          region: message.region,
          uploadKbps: message.uploadKbps,
          have: new Set(message.have),
          joinedAtMs: this.network.clock.now(),
        });
        joined.add(message.swarmId);
        if (message.live) this.live.add(message.swarmId);
        this.send(socket, {
          type: 'joined',
          v: 1,
          swarmId: message.swarmId,
          peerId,
          heartbeatMs: 30_000,
        });
        if (this.live.has(message.swarmId)) this.broadcastElection(message.swarmId);
        return;
      }
      case 'leave':
        joined.delete(message.swarmId);
        this.removeMember(message.swarmId, peerId);
        return;
      case 'have': {
        const member = this.swarms.get(message.swarmId)?.get(peerId);
        if (!member) return;
        for (const sequence of message.added) member.have.add(sequence);
        for (const sequence of message.lost) member.have.delete(sequence);
        return;
      }
      case 'get-peers': {
        const swarm = this.swarms.get(message.swarmId);
        if (!swarm) return;
        const need = new Set(message.need);
        const peers: PeerInfo[] = [...swarm.values()]
          .filter((member) => member.peerId !== peerId && !this.isReported(member.peerId))
          .map((member) => ({
            peerId: member.peerId,
            region: member.region,
            uploadKbps: member.uploadKbps,
            connectionType: 'ethernet' as const,
            have: [...member.have].filter((s) => need.size === 0 || need.has(s)).slice(0, 1024),
          }))
          .slice(0, message.max);
        this.send(socket, { type: 'peers', swarmId: message.swarmId, peers });
        return;
      }
      case 'signal': {
        const target = this.swarms.get(message.swarmId)?.get(message.to);
        if (!target) {
          this.send(socket, {
            type: 'error',
            code: 'unknown_peer',
            message: message.to,
            ref: 'signal',
          });
          return;
        }
        const uploadKbps = this.swarms.get(message.swarmId)?.get(peerId)?.uploadKbps ?? 0;
        this.send(
          target.socket,
          relayedSignal(message.swarmId, peerId, message.signal, uploadKbps),
        );
        return;
      }
      case 'report':
        this.reports.push(message);
        return;
      case 'beacon':
        return;
      case 'ping':
        this.send(socket, { type: 'pong' });
        return;
    }
  }

  private isReported(peerId: string): boolean {
    return this.reports.some((report) => report.peerId === peerId && report.reason === 'integrity');
  }

  private removeMember(swarmId: string, peerId: string): void {
    const swarm = this.swarms.get(swarmId);
    if (!swarm?.delete(peerId)) return;
    if (this.live.has(swarmId)) this.broadcastElection(swarmId);
  }

  broadcastElection(swarmId: string): void {
    const swarm = this.swarms.get(swarmId);
    if (!swarm) return;
    const members = [...swarm.keys()];
    const fetchers = this.electionFetchers ? this.electionFetchers(swarmId, members) : members;
    this.epoch++;
    for (const member of swarm.values()) {
      this.send(member.socket, {
        type: 'election',
        swarmId,
        epoch: this.epoch,
        fetchers,
        perSegment: 1,
      });
    }
  }

  private send(socket: ServerSideSocket, message: ServerMessage): void {
    socket.send(encodeTrackerMessage(message));
  }
}
