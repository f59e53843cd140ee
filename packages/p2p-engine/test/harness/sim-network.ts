import type {
  DataChannelLike,
  DataChannelState,
  IceCandidate,
  PeerConnectionLike,
  PeerConnectionState,
  WebSocketLike,
} from '../../src/index.js';
import type { FakeClock } from './fake-clock.js';

/**
 * An in-memory network on the fake clock: WebRTC-like peer connections whose data channels
 * move bytes at each node's uplink rate (shared by all its channels, FIFO) plus a one-way
 * latency, with a real `bufferedAmount` and `bufferedamountlow`; and WebSockets to in-process
 * servers (the fake tracker).
 */

interface SimNode {
  uplinkBytesPerSec: number;
  uplinkBusyUntilMs: number;
  alive: boolean;
  channels: Set<SimDataChannel>;
}

export interface SocketServer {
  accept(socket: ServerSideSocket): void;
}

export interface ServerSideSocket {
  send(text: string): void;
  close(): void;
  onmessage: ((text: string) => void) | null;
  onclose: (() => void) | null;
}

export class SimNetwork {
  readonly nodes = new Map<string, SimNode>();
  private readonly offers = new Map<string, SimPeerConnection>();
  private readonly servers = new Map<string, SocketServer>();
  private nextId = 1;
  /** WebSocket connection attempts, by URL (to assert that P2P-off never connects). */
  readonly socketAttempts: string[] = [];
  /** Report local candidates while the description is being set, as werift does. */
  candidatesBeforeDescription = false;
  /**
   * Every node sits behind a NAT that drops unsolicited packets: a connection opens only once
   * each side has been given at least one candidate of the other (no peer-reflexive learning).
   */
  natDropsUnsolicited = false;

  constructor(
    readonly clock: FakeClock,
    readonly latencyMs = 20,
  ) {}

  addNode(nodeId: string, uplinkBytesPerSec = 5 * 1024 * 1024): void {
    this.nodes.set(nodeId, {
      uplinkBytesPerSec,
      uplinkBusyUntilMs: 0,
      alive: true,
      channels: new Set(),
    });
  }

  node(nodeId: string): SimNode {
    const node = this.nodes.get(nodeId);
    if (!node) throw new Error(`no sim node ${nodeId}`);
    return node;
  }

  setUplink(nodeId: string, bytesPerSec: number): void {
    this.node(nodeId).uplinkBytesPerSec = bytesPerSec;
  }

  /** The node vanishes: its channels go silent and the far ends see a close after `detectMs`. */
  kill(nodeId: string, detectMs = 3_000): void {
    const node = this.node(nodeId);
    node.alive = false;
    for (const channel of [...node.channels]) channel.vanish(detectMs);
  }

  createPeerConnection(nodeId: string): PeerConnectionLike {
    return new SimPeerConnection(this, nodeId);
  }

  registerOffer(pc: SimPeerConnection): string {
    const id = `o${this.nextId++}`;
    this.offers.set(id, pc);
    return id;
  }

  takeOffer(id: string): SimPeerConnection | undefined {
    return this.offers.get(id);
  }

  listen(url: string, server: SocketServer): void {
    this.servers.set(url, server);
  }

  unlisten(url: string): void {
    this.servers.delete(url);
  }

  createWebSocket(url: string): WebSocketLike {
    this.socketAttempts.push(url);
    return new SimWebSocket(this, url, this.servers.get(url));
  }

  /** Schedule delivery of `bytes` from `nodeId`; returns when its transmission ends. */
  transmit(nodeId: string, sizeBytes: number): number {
    const node = this.node(nodeId);
    const start = Math.max(this.clock.now(), node.uplinkBusyUntilMs);
    const end = start + (sizeBytes * 1000) / node.uplinkBytesPerSec;
    node.uplinkBusyUntilMs = end;
    return end;
  }
}

export class SimDataChannel implements DataChannelLike {
  readyState: DataChannelState = 'connecting';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onmessage: ((data: Uint8Array) => void) | null = null;
  onbufferedamountlow: (() => void) | null = null;
  remote: SimDataChannel | null = null;
  sentBytes = 0;
  private silent = false;

  constructor(
    private readonly network: SimNetwork,
    readonly nodeId: string,
  ) {
    network.node(nodeId).channels.add(this);
  }

  open(): void {
    if (this.readyState !== 'connecting') return;
    this.readyState = 'open';
    this.onopen?.();
  }

  send(data: Uint8Array): void {
    if (this.readyState !== 'open') throw new Error('InvalidStateError: channel not open');
    const copy = data.slice();
    const size = copy.byteLength;
    this.bufferedAmount += size;
    this.sentBytes += size;
    const clock = this.network.clock;
    const doneAt = this.network.transmit(this.nodeId, size);
    clock.setTimeout(() => {
      const before = this.bufferedAmount;
      this.bufferedAmount -= size;
      if (
        before > this.bufferedAmountLowThreshold &&
        this.bufferedAmount <= this.bufferedAmountLowThreshold
      ) {
        this.onbufferedamountlow?.();
      }
    }, doneAt - clock.now());
    clock.setTimeout(
      () => {
        const remote = this.remote;
        if (this.silent || !remote || remote.readyState !== 'open') return;
        remote.onmessage?.(copy);
      },
      doneAt - clock.now() + this.network.latencyMs,
    );
  }

  close(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.network.node(this.nodeId).channels.delete(this);
    const remote = this.remote;
    if (remote && !this.silent) {
      this.network.clock.setTimeout(() => remote.remoteClosed(), this.network.latencyMs);
    }
  }

  remoteClosed(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.network.node(this.nodeId).channels.delete(this);
    this.onclose?.();
  }

  vanish(detectMs: number): void {
    this.silent = true;
    this.readyState = 'closed';
    const remote = this.remote;
    if (remote) this.network.clock.setTimeout(() => remote.remoteClosed(), detectMs);
  }
}

export class SimPeerConnection implements PeerConnectionLike {
  ondatachannel: ((channel: DataChannelLike) => void) | null = null;
  onlocalcandidate: ((candidate: IceCandidate | null) => void) | null = null;
  onconnectionstatechange: ((state: PeerConnectionState) => void) | null = null;
  remoteCandidates = 0;
  /** Set on the offerer when its offer is accepted. */
  answerer: SimPeerConnection | null = null;
  private channel: SimDataChannel | null = null;
  private remote: SimPeerConnection | null = null;
  private closed = false;

  constructor(
    private readonly network: SimNetwork,
    readonly nodeId: string,
  ) {}

  createDataChannel(_label: string): DataChannelLike {
    this.channel = new SimDataChannel(this.network, this.nodeId);
    return this.channel;
  }

  createOffer(): Promise<string> {
    const id = this.network.registerOffer(this);
    this.trickle();
    return Promise.resolve(`sim-offer ${id}`);
  }

  acceptOffer(sdp: string): Promise<string> {
    const offerer = this.network.takeOffer(sdp.split(' ')[1] ?? '');
    if (!offerer) return Promise.reject(new Error('unknown offer'));
    this.remote = offerer;
    offerer.answerer = this;
    this.trickle();
    return Promise.resolve(`sim-answer ${sdp.split(' ')[1] ?? ''}`);
  }

  acceptAnswer(_sdp: string): Promise<void> {
    const offered = this.channel;
    if (!offered) return Promise.reject(new Error('no data channel'));
    const answerer = this.answerer;
    if (!answerer) return Promise.reject(new Error('no answerer'));
    this.remote = answerer;
    const clock = this.network.clock;
    const connect = (): void => {
      if (this.closed || answerer.closed) return;
      if (!this.network.node(this.nodeId).alive || !this.network.node(answerer.nodeId).alive)
        return;
      if (
        this.network.natDropsUnsolicited &&
        (this.remoteCandidates === 0 || answerer.remoteCandidates === 0)
      ) {
        // ICE keeps checking the pairs it has; retry until a candidate arrives.
        clock.setTimeout(connect, this.network.latencyMs);
        return;
      }
      const accepted = new SimDataChannel(this.network, answerer.nodeId);
      offered.remote = accepted;
      accepted.remote = offered;
      answerer.channel = accepted;
      this.onconnectionstatechange?.('connected');
      answerer.onconnectionstatechange?.('connected');
      answerer.ondatachannel?.(accepted);
      offered.open();
      accepted.open();
    };
    clock.setTimeout(connect, this.network.latencyMs * 2);
    return Promise.resolve();
  }

  addRemoteCandidate(_candidate: IceCandidate): Promise<void> {
    this.remoteCandidates++;
    return Promise.resolve();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.channel?.close();
    this.onconnectionstatechange?.('closed');
  }

  private trickle(): void {
    if (this.network.candidatesBeforeDescription) {
      this.onlocalcandidate?.({
        candidate: 'candidate:0 1 udp 1 127.0.0.1 9 typ host',
        sdpMid: '0',
        sdpMLineIndex: 0,
      });
    }
    const clock = this.network.clock;
    clock.setTimeout(() => {
      this.onlocalcandidate?.({
        candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host',
        sdpMid: '0',
        sdpMLineIndex: 0,
      });
      this.onlocalcandidate?.(null);
    }, 1);
  }
}

class SimWebSocket implements WebSocketLike {
  onopen: (() => void) | null = null;
  onmessage: ((text: string) => void) | null = null;
  onclose: ((code: number) => void) | null = null;
  onerror: ((error: unknown) => void) | null = null;
  private server: ServerSideSocket | null = null;
  private closed = false;

  constructor(
    private readonly network: SimNetwork,
    url: string,
    target: SocketServer | undefined,
  ) {
    const clock = network.clock;
    clock.setTimeout(() => {
      if (this.closed) return;
      if (!target) {
        this.closed = true;
        this.onerror?.(new Error(`connection refused: ${url}`));
        this.onclose?.(1006);
        return;
      }
      const serverSide: ServerSideSocket = {
        send: (text) => {
          clock.setTimeout(() => {
            if (!this.closed) this.onmessage?.(text);
          }, network.latencyMs);
        },
        close: () => {
          clock.setTimeout(() => this.remoteClose(), network.latencyMs);
        },
        onmessage: null,
        onclose: null,
      };
      this.server = serverSide;
      target.accept(serverSide);
      this.onopen?.();
    }, network.latencyMs);
  }

  send(text: string): void {
    if (this.closed || !this.server) throw new Error('socket not open');
    const server = this.server;
    this.network.clock.setTimeout(() => server.onmessage?.(text), this.network.latencyMs);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const server = this.server;
    this.network.clock.setTimeout(() => server?.onclose?.(), this.network.latencyMs);
  }

  private remoteClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.server?.onclose?.();
    this.onclose?.(1001);
  }
}
