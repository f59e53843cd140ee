import type {
  DataChannelLike,
  DataChannelState,
  IceCandidate,
  PeerConnectionLike,
  PeerConnectionState,
  SelectedPath,
} from '@coral-cdn/p2p-engine';
import type { EventClock } from './event-clock.js';
import type { Flow, FlowNetwork, Link } from './flow-network.js';
import { canConnect, type NatType } from './nat.js';
import { setupDelayMs, type PeerSetupModel } from './peer-setup.js';

/** A viewer's place on the network. */
export interface Host {
  readonly id: string;
  readonly up: Link;
  readonly down: Link;
  readonly nat: NatType;
  readonly region: string;
  /** Packet loss on this viewer's access link (0..1). */
  readonly lossRate: number;
  /** RTT its access link adds (lab homes), ms; null: RTT by region. */
  readonly accessRttMs: number | null;
  alive: boolean;
  readonly channels: Set<SimDataChannel>;
}

export interface PathModel {
  rttMs(a: Host, b: Host): number;
  /** Bytes/s a single flow between them can reach (loss and RTT; Infinity without loss). */
  capBytesPerSec(a: Host, b: Host): number;
}

const DATA_FRAME_TYPE = 0x05;
const DATA_HEADER_BYTES = 14;

/** Wire size of a peer frame: DATA payloads stand for `byteScale` times their size. */
export function wireBytesOfFrame(frame: Uint8Array, byteScale: number): number {
  if (frame.byteLength > DATA_HEADER_BYTES && frame[1] === DATA_FRAME_TYPE)
    return DATA_HEADER_BYTES + (frame.byteLength - DATA_HEADER_BYTES) * byteScale;
  return frame.byteLength;
}

/** WebRTC stand-ins on the flow network: set-up through the NAT matrix, channels as flows. */
export class RtcFabric {
  private readonly offers = new Map<string, SimPeerConnection>();
  private nextOffer = 1;
  connectionsOpened = 0;
  connectionsFailed = 0;

  constructor(
    readonly clock: EventClock,
    readonly network: FlowNetwork,
    readonly paths: PathModel,
    readonly byteScale: number,
    /** Set-up model of the peers' WebRTC stack (null: the route's generic figures). */
    readonly setup: PeerSetupModel | null = null,
    /** Draws lost handshake packets (seeded by the run). */
    readonly random: () => number = Math.random,
  ) {}

  createPeerConnection(host: Host): PeerConnectionLike {
    return new SimPeerConnection(this, host);
  }

  registerOffer(pc: SimPeerConnection): string {
    const id = `o${this.nextOffer++}`;
    this.offers.set(id, pc);
    return id;
  }

  takeOffer(id: string): SimPeerConnection | undefined {
    const pc = this.offers.get(id);
    this.offers.delete(id);
    return pc;
  }

  /** The host leaves without a goodbye: far ends notice after `detectMs`. */
  kill(host: Host, detectMs: number): void {
    host.alive = false;
    for (const channel of [...host.channels]) channel.vanish(detectMs);
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
  flow: Flow | null = null;
  oneWayMs = 0;
  private silent = false;

  constructor(
    private readonly fabric: RtcFabric,
    readonly host: Host,
  ) {
    host.channels.add(this);
  }

  open(remote: SimDataChannel): void {
    if (this.readyState !== 'connecting') return;
    this.remote = remote;
    const { paths, network } = this.fabric;
    this.oneWayMs = paths.rttMs(this.host, remote.host) / 2;
    this.flow = network.openFlow(
      this.host.up,
      remote.host.down,
      paths.capBytesPerSec(this.host, remote.host),
      true,
    );
    this.readyState = 'open';
    this.onopen?.();
  }

  send(data: Uint8Array): void {
    if (this.readyState !== 'open' || !this.flow)
      throw new Error('InvalidStateError: channel not open');
    // The engine may reuse its buffer after send, as with a real channel: keep our own view.
    const copy = data.slice();
    const size = copy.byteLength;
    this.bufferedAmount += size;
    const { clock, network, byteScale } = this.fabric;
    network.send(this.flow, wireBytesOfFrame(copy, byteScale), () => {
      const before = this.bufferedAmount;
      this.bufferedAmount -= size;
      if (
        before > this.bufferedAmountLowThreshold &&
        this.bufferedAmount <= this.bufferedAmountLowThreshold
      )
        this.onbufferedamountlow?.();
      clock.setTimeout(() => {
        const remote = this.remote;
        if (this.silent || !remote || remote.readyState !== 'open') return;
        remote.onmessage?.(copy);
      }, this.oneWayMs);
    });
  }

  close(): void {
    if (this.readyState === 'closed') return;
    this.shut();
    const remote = this.remote;
    if (remote && !this.silent)
      this.fabric.clock.setTimeout(() => remote.remoteClosed(), this.oneWayMs);
  }

  remoteClosed(): void {
    if (this.readyState === 'closed') return;
    this.shut();
    this.onclose?.();
  }

  vanish(detectMs: number): void {
    if (this.readyState === 'closed') return;
    this.silent = true;
    this.shut();
    const remote = this.remote;
    if (remote) this.fabric.clock.setTimeout(() => remote.remoteClosed(), detectMs);
  }

  private shut(): void {
    this.readyState = 'closed';
    this.host.channels.delete(this);
    if (this.flow) this.fabric.network.close(this.flow);
  }
}

export class SimPeerConnection implements PeerConnectionLike {
  ondatachannel: ((channel: DataChannelLike) => void) | null = null;
  onlocalcandidate: ((candidate: IceCandidate | null) => void) | null = null;
  onconnectionstatechange: ((state: PeerConnectionState) => void) | null = null;
  answerer: SimPeerConnection | null = null;
  private channel: SimDataChannel | null = null;
  private closed = false;
  /** The other end, once connected: its path's round trip is what getStats would report. */
  private connectedTo: Host | null = null;

  constructor(
    private readonly fabric: RtcFabric,
    readonly host: Host,
  ) {}

  createDataChannel(_label: string): DataChannelLike {
    this.channel = new SimDataChannel(this.fabric, this.host);
    return this.channel;
  }

  createOffer(): Promise<string> {
    const id = this.fabric.registerOffer(this);
    this.trickle();
    return Promise.resolve(`sim-offer ${id}`);
  }

  acceptOffer(sdp: string): Promise<string> {
    const id = sdp.split(' ')[1] ?? '';
    const offerer = this.fabric.takeOffer(id);
    if (!offerer) return Promise.reject(new Error('unknown offer'));
    offerer.answerer = this;
    this.trickle();
    return Promise.resolve(`sim-answer ${id}`);
  }

  acceptAnswer(_sdp: string): Promise<void> {
    const offered = this.channel;
    const answerer = this.answerer;
    if (!offered || !answerer) return Promise.reject(new Error('no offer made'));
    const { clock, paths } = this.fabric;
    const route = canConnect(this.host.nat, answerer.host.nat);
    if (!route.ok) {
      // Counted now: the attempt cannot open, and the engine's own connect timeout (5 s)
      // usually closes it before the ICE checks run out and say so.
      this.fabric.connectionsFailed++;
      clock.setTimeout(() => {
        if (this.closed) return;
        this.onconnectionstatechange?.('failed');
        answerer.onconnectionstatechange?.('failed');
      }, 8_000);
      return Promise.resolve();
    }
    const rttMs = paths.rttMs(this.host, answerer.host);
    // ICE checks, DTLS and SCTP handshakes: a few round trips, plus the relay hop if any.
    const lossRate = 1 - (1 - this.host.lossRate) * (1 - answerer.host.lossRate);
    const setupMs = setupDelayMs(route, rttMs, lossRate, this.fabric.setup, this.fabric.random);
    clock.setTimeout(() => {
      if (this.closed || answerer.closed || !this.host.alive || !answerer.host.alive) return;
      const accepted = new SimDataChannel(this.fabric, answerer.host);
      answerer.channel = accepted;
      this.connectedTo = answerer.host;
      answerer.connectedTo = this.host;
      this.fabric.connectionsOpened++;
      // The offerer's channel opens as its association is up; the answerer learns of the
      // channel from the offerer's DATA_CHANNEL_OPEN, half a round trip later. Scheduled
      // first, so that it opens before anything the offerer sends at once arrives.
      clock.setTimeout(() => {
        if (answerer.closed || !answerer.host.alive) return;
        answerer.onconnectionstatechange?.('connected');
        answerer.ondatachannel?.(accepted);
        accepted.open(offered);
      }, rttMs / 2);
      this.onconnectionstatechange?.('connected');
      offered.open(accepted);
    }, setupMs);
    return Promise.resolve();
  }

  addRemoteCandidate(_candidate: IceCandidate): Promise<void> {
    return Promise.resolve();
  }

  /**
   * The selected pair's round trip, as a stack's ICE checks measure it (peer choice uses it).
   * No pair type: the fabric does not model candidates (counted as `unknown`, as before).
   */
  selectedPath(): Promise<SelectedPath> {
    const remote = this.connectedTo;
    return Promise.resolve({
      type: null,
      rttMs: remote ? this.fabric.paths.rttMs(this.host, remote) : null,
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.channel?.close();
    this.onconnectionstatechange?.('closed');
  }

  private trickle(): void {
    this.fabric.clock.setTimeout(() => {
      if (this.closed) return;
      this.onlocalcandidate?.({
        candidate: 'candidate:1 1 udp 1 192.0.2.1 9 typ srflx',
        sdpMid: '0',
        sdpMLineIndex: 0,
      });
      this.onlocalcandidate?.(null);
    }, 1);
  }
}
