import type {
  DataChannelLike,
  DataChannelState,
  IceCandidate,
  PeerConnectionLike,
  PairType,
  PeerConnectionState,
  SelectedPath,
  WebSocketLike,
} from '../../src/index.js';
import { candidateTypeOf, pairTypeOf } from '../../src/index.js';
import type { FakeClock } from './fake-clock.js';

/**
 * An in-memory network on the fake clock: WebRTC-like peer connections whose data channels
 * move bytes at each node's uplink rate (shared by all its channels, FIFO) plus a one-way
 * latency, with a real `bufferedAmount` and `bufferedamountlow`; and WebSockets to in-process
 * servers (the fake tracker).
 */

/**
 * Where a node sits: on the open network (`open`: its host address is reachable), behind a NAT
 * with endpoint-independent mapping (`cone`: STUN gives a reflexive address that others can
 * use once both sides have sent), behind a symmetric NAT (`symmetric`: a new port per
 * destination, so its reflexive address works only towards an `open` node), or with UDP
 * blocked (`blocked`: no direct path at all).
 */
export type SimNat = 'open' | 'cone' | 'symmetric' | 'blocked';

interface SimNode {
  nat: SimNat;
  /** The node was given a TURN server: it gathers a relay candidate. */
  turn: boolean;
  uplinkBytesPerSec: number;
  uplinkBusyUntilMs: number;
  /** One-way delay of the node's own access link, ms, added to the network's latency. */
  accessDelayMs: number;
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
  /**
   * The next connection opens on the answerer's side only (a DTLS handshake finished on one
   * side, seen on lossy paths): the offerer's channel never opens and its close is never heard.
   */
  halfOpenNext = false;
  /**
   * The next connection loses the answering side's first message (its handshake) on the way
   * to the offerer, as Chromium did now and then on a loaded machine.
   */
  loseFirstMessageNext = false;
  /** Every connection reports this selected pair type (a stack that relays against policy). */
  forcedPairType: PairType | null = null;
  /** Answer `selectedPath` (as getStats would); off: a stack without stats. */
  statsAvailable = true;
  /** `selectedPath` reads, on every connection (each would be a `getStats()`). */
  statsReads = 0;

  constructor(
    readonly clock: FakeClock,
    readonly latencyMs = 20,
  ) {}

  addNode(nodeId: string, uplinkBytesPerSec = 5 * 1024 * 1024, accessDelayMs = 0): void {
    this.nodes.set(nodeId, {
      nat: 'open',
      turn: false,
      uplinkBytesPerSec,
      uplinkBusyUntilMs: 0,
      accessDelayMs,
      alive: true,
      channels: new Set(),
    });
  }

  node(nodeId: string): SimNode {
    const node = this.nodes.get(nodeId);
    if (!node) throw new Error(`no sim node ${nodeId}`);
    return node;
  }

  /** Put a node behind a NAT (and/or give it a TURN server). */
  setConnectivity(nodeId: string, connectivity: { nat?: SimNat; turn?: boolean }): void {
    const node = this.node(nodeId);
    if (connectivity.nat) node.nat = connectivity.nat;
    if (connectivity.turn !== undefined) node.turn = connectivity.turn;
  }

  /**
   * The pair ICE would select between two nodes given the candidates each received from the
   * other (their types), or null while no pair can work. Direct pairs are preferred to relays.
   */
  pathBetween(
    a: { nodeId: string; received: ReadonlySet<PairType> },
    b: { nodeId: string; received: ReadonlySet<PairType> },
  ): PairType | null {
    const nodeA = this.node(a.nodeId);
    const nodeB = this.node(b.nodeId);
    const direct = (received: ReadonlySet<PairType>) =>
      received.has('host') || received.has('srflx') || received.has('prflx');
    const blocked = nodeA.nat === 'blocked' || nodeB.nat === 'blocked';
    const symmetricOk = (x: SimNode, y: SimNode) => x.nat !== 'symmetric' || y.nat === 'open';
    if (!blocked && symmetricOk(nodeA, nodeB) && symmetricOk(nodeB, nodeA)) {
      if (nodeA.nat === 'open' && nodeB.nat === 'open') {
        // Both reachable: a check from one side teaches the other (peer-reflexive).
        const anyCandidate = direct(a.received) || direct(b.received);
        if (anyCandidate || !this.natDropsUnsolicited) return 'host';
      } else if (direct(a.received) && direct(b.received)) {
        return pairTypeOf(
          nodeA.nat === 'open' ? 'host' : 'srflx',
          nodeB.nat === 'open' ? 'host' : 'srflx',
        );
      }
    }
    // A relay: one side's relay candidate reached the other (the relay is on the open network).
    if ((nodeA.turn && b.received.has('relay')) || (nodeB.turn && a.received.has('relay')))
      return 'relay';
    return null;
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

  /** One-way delay between two nodes: the network's latency and both access links, ms. */
  oneWayMs(fromNodeId: string, toNodeId: string): number {
    return this.latencyMs + this.node(fromNodeId).accessDelayMs + this.node(toNodeId).accessDelayMs;
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
  /** The next message sent is never delivered. */
  loseNextMessage = false;
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
    const lost = this.loseNextMessage;
    this.loseNextMessage = false;
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
        if (lost || this.silent || !remote || remote.readyState !== 'open') return;
        remote.onmessage?.(copy);
      },
      doneAt -
        clock.now() +
        (this.remote ? this.network.oneWayMs(this.nodeId, this.remote.nodeId) : 0),
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
  /** Types of the remote candidates received. */
  readonly receivedTypes = new Set<PairType>();
  /** The selected pair, once connected. */
  pairType: PairType | null = null;
  /** Local candidates reported, in order. */
  readonly gathered: string[] = [];
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
      const legacyWait =
        this.network.natDropsUnsolicited &&
        (this.remoteCandidates === 0 || answerer.remoteCandidates === 0);
      const path = this.network.pathBetween(
        { nodeId: this.nodeId, received: this.receivedTypes },
        { nodeId: answerer.nodeId, received: answerer.receivedTypes },
      );
      if (legacyWait || path === null) {
        // ICE keeps checking the pairs it has; retry until a usable candidate arrives.
        clock.setTimeout(connect, this.network.latencyMs);
        return;
      }
      const pairType = this.network.forcedPairType ?? path;
      this.pairType = pairType;
      answerer.pairType = pairType;
      const accepted = new SimDataChannel(this.network, answerer.nodeId);
      offered.remote = accepted;
      accepted.remote = offered;
      answerer.channel = accepted;
      this.onconnectionstatechange?.('connected');
      answerer.onconnectionstatechange?.('connected');
      answerer.ondatachannel?.(accepted);
      if (this.network.loseFirstMessageNext) {
        this.network.loseFirstMessageNext = false;
        accepted.loseNextMessage = true;
      }
      if (this.network.halfOpenNext) {
        this.network.halfOpenNext = false;
        offered.remote = null;
        accepted.open();
        return;
      }
      offered.open();
      accepted.open();
    };
    clock.setTimeout(connect, this.network.latencyMs * 2);
    return Promise.resolve();
  }

  addRemoteCandidate(candidate: IceCandidate): Promise<void> {
    this.remoteCandidates++;
    const type = candidateTypeOf(candidate.candidate);
    if (type) this.receivedTypes.add(type);
    return Promise.resolve();
  }

  /** The selected pair and the connected path's round trip, as ICE checks would measure it. */
  get selectedPath(): (() => Promise<SelectedPath>) | undefined {
    if (!this.network.statsAvailable) return undefined;
    return () => {
      this.network.statsReads++;
      const rttMs =
        this.remote && this.pairType
          ? 2 * this.network.oneWayMs(this.nodeId, this.remote.nodeId)
          : null;
      return Promise.resolve({ type: this.pairType, rttMs });
    };
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
    const node = this.network.node(this.nodeId);
    const lines = ['candidate:1 1 udp 2122260223 10.0.0.2 9 typ host'];
    // STUN answers through a NAT (not where UDP is blocked); TURN allocates a relay address.
    if (node.nat === 'cone' || node.nat === 'symmetric')
      lines.push('candidate:2 1 udp 1686052607 203.0.113.2 9 typ srflx raddr 10.0.0.2 rport 9');
    if (node.turn)
      lines.push('candidate:3 1 udp 41885439 198.51.100.9 9 typ relay raddr 203.0.113.2 rport 9');
    clock.setTimeout(() => {
      for (const candidate of lines) {
        this.gathered.push(candidate);
        this.onlocalcandidate?.({ candidate, sdpMid: '0', sdpMLineIndex: 0 });
      }
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
