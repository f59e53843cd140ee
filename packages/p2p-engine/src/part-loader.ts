import type { SignedSegmentHash } from '@coral-cdn/protocol';
import type { EngineConfig, StreamConfig } from './config.js';
import { AbortedError, EngineError } from './errors.js';
import type { IntegrityRegistry } from './integrity.js';
import { PartIntegrity } from './part-integrity.js';
import { PartSegments } from './part-segments.js';
import type { PartName } from './part-key.js';
import { decidePart, type PartChoice } from './part-decision.js';
import { PartStatsCounters, type PartStats } from './part-stats.js';
import { PartStore, type StoredPart } from './part-store.js';
import type { PeerManager } from './peer-manager.js';
import type { Cancelable, EnginePlatform, TimerId } from './platform.js';
import type { PlaybackClock } from './playback-clock.js';
import type { LiveRole } from './segment-decision.js';
import type { SegmentStore, TransferTiming } from './segment-store.js';
import { ThroughputEstimator } from './throughput.js';

/** Margin kept before a part's deadline (a part is due within about a second, not six). */
export const PART_SAFETY_MARGIN_MS = 250;
/** A part's size to plan with before its signed entry is known (~0.5 s at a few Mbit/s). */
const TYPICAL_PART_BYTES = 64 * 1024;

export interface PartRequest extends PartName {
  /** The part's URL (on the CDN). */
  url: string;
  /** Where the part starts on the playback timeline, s (its deadline). */
  startSec: number;
}

export interface PartResult {
  bytes: Uint8Array;
  source: 'http' | 'p2p';
  timing: TransferTiming;
}

export interface PartLoaderDeps {
  platform: EnginePlatform;
  config: EngineConfig;
  stream: Pick<StreamConfig, 'streamId' | 'publicKey'>;
  /** Peer bytes are checked (integrity on): without it, parts never come from peers. */
  checked: boolean;
  peers: PeerManager | null;
  playback: PlaybackClock;
  /** The live role of the part's segment (the segment election decides who fetches parts). */
  role: (name: PartName) => LiveRole;
  /** The rendition's media playlist (its integrity manifest sits beside it). */
  playlistUrl: (rendition: string) => string | undefined;
  /** A peer sent bad bytes or a forged entry for a part: drop and report it, as for a segment. */
  onBadPeer: (peerId: string, name: PartName) => void;
  /** A part was delivered: count its bytes with the engine's totals. */
  onBytes: (source: PartResult['source'], sizeBytes: number) => void;
  /** Where whole segments made of parts go, to be offered to peers (null: nowhere). */
  segments: SegmentStore | null;
  /** The whole segments' signed entries (null: integrity off, so nothing is assembled). */
  segmentIntegrity: IntegrityRegistry | null;
}

interface Attempt {
  canceled: boolean;
  cancelCurrent: (() => void) | null;
  wake: (() => void) | null;
}

/**
 * Loads LL-HLS parts for the player, each against its own deadline (`decidePart`): the live
 * fetcher from the CDN at once, then it announces the part with its signed entry; other
 * viewers from a peer that holds it, checked against the signed entry before the player sees
 * a byte, or from the CDN. Any part held with its signed entry is announced to peers.
 */
export class PartLoader {
  private readonly http: ThroughputEstimator;
  private readonly waiting = new Set<Attempt>();
  private readonly store = new PartStore();
  private readonly counters = new PartStatsCounters();
  private readonly integrity: PartIntegrity | null;
  private readonly wholeSegments: PartSegments | null;
  private destroyed = false;

  constructor(private readonly deps: PartLoaderDeps) {
    const { platform, stream, peers } = deps;
    this.http = new ThroughputEstimator(deps.config.initialHttpThroughputBytesPerSec);
    const { segments, segmentIntegrity } = deps;
    this.wholeSegments =
      peers && deps.checked && segments && segmentIntegrity
        ? new PartSegments({
            clock: platform.clock,
            log: (level, message, fields) => platform.log?.(level, message, fields),
            parts: this.store,
            integrity: segmentIntegrity,
            segments,
            counters: this.counters,
          })
        : null;
    this.integrity =
      peers && deps.checked
        ? new PartIntegrity(
            platform.subtle,
            platform.http,
            stream.publicKey,
            stream.streamId,
            (rendition, entries) => this.acceptSegmentEntries(rendition, entries),
          )
        : null;
    this.store.on('shareable', (part) => {
      if (part.signed) peers?.announcePart(part, part.signed);
      this.wholeSegments?.tryAssemble(part.rendition, part.sequence);
    });
    peers?.on('peer-part-have', () => this.wakeAll());
    peers?.on('peer-part-signed', (session, rendition, hash) => {
      void this.integrity?.acceptSigned(rendition, hash).then((outcome) => {
        if (outcome === 'added') this.wakeAll();
        if (outcome === 'forged') deps.onBadPeer(session.remotePeerId, { rendition, ...hash });
      });
    });
  }

  get stats(): PartStats {
    return this.counters.snapshot();
  }

  /** A part peers may be sent: held, with its checked signed entry. */
  shareable(name: PartName): StoredPart | undefined {
    return this.store.shareable(name);
  }

  load(request: PartRequest): Cancelable<PartResult> {
    const attempt: Attempt = { canceled: false, cancelCurrent: null, wake: null };
    const promise = this.run(request, attempt).then((result) => {
      this.deps.onBytes(result.source, result.bytes.byteLength);
      return result;
    });
    return {
      promise,
      cancel: () => {
        attempt.canceled = true;
        attempt.cancelCurrent?.();
        attempt.wake?.();
      },
    };
  }

  /**
   * This viewer loads LL parts, of whichever rendition: hls.js in low-latency mode goes on
   * loading parts after an ABR switch, from the new rendition's next independent part, so a
   * viewer that just switched plays the new rendition as parts before it holds one of them.
   */
  playsParts(): boolean {
    return this.store.count > 0;
  }

  /**
   * Segments of which this viewer holds parts, in any rendition: the renditions of one LL
   * channel are cut at the same keyframes and share sequence numbers, so these say from which
   * segment on it plays parts, whatever the rendition (`playedAsParts` in prefetch-plan.ts).
   */
  sequencesHeld(): number[] {
    return this.store.sequencesHeldInAny();
  }

  /**
   * A whole segment's signed entry became known (from a peer or a manifest): a segment whose
   * parts are all held can now be checked and offered whole.
   */
  segmentSigned(rendition: string): void {
    this.wholeSegments?.checkRendition(rendition);
  }

  /** Something changed (a peer announced a part, an entry was checked): decide again. */
  wakeAll(): void {
    for (const attempt of [...this.waiting]) attempt.wake?.();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.wakeAll();
    this.store.clear();
    this.integrity?.destroy();
    this.wholeSegments?.destroy();
  }

  /** Whole-segment entries a part's manifest carried: checked as a peer's would be. */
  private acceptSegmentEntries(rendition: string, entries: readonly SignedSegmentHash[]): void {
    const { segmentIntegrity } = this.deps;
    for (const entry of entries) {
      void segmentIntegrity?.acceptSigned(rendition, entry).then((outcome) => {
        if (outcome === 'added') this.wholeSegments?.tryAssemble(rendition, entry.sequence);
      });
    }
  }

  private async run(request: PartRequest, attempt: Attempt): Promise<PartResult> {
    const { integrity } = this;
    const failedPeers = new Set<string>();
    let forceHttp = false;
    for (;;) {
      if (attempt.canceled || this.destroyed) throw new AbortedError('part load canceled');
      const choice = this.decide(request, failedPeers, forceHttp);
      if (choice.kind === 'wait') {
        await this.waitUntil(attempt, choice.untilMs);
        continue;
      }
      if (choice.kind === 'http') {
        this.counters.cdnReasons[choice.reason]++;
        return this.fromHttp(request, attempt, choice.reason === 'fetcher');
      }
      try {
        return await this.fromPeer(request, attempt, choice.peerId);
      } catch (error) {
        if (attempt.canceled || this.destroyed) throw error;
        failedPeers.add(choice.peerId);
        if (error instanceof EngineError && error.code === 'integrity') {
          this.counters.integrityFailures++;
          this.deps.onBadPeer(choice.peerId, request);
          forceHttp = true;
        } else if (integrity?.known(request) === undefined) forceHttp = true;
        this.counters.peerFallbacks++;
      }
    }
  }

  private decide(request: PartRequest, failedPeers: Set<string>, forceHttp: boolean): PartChoice {
    const { platform, playback, peers } = this.deps;
    const { integrity } = this;
    const nowMs = platform.clock.now();
    // Before the first frame every part is wanted at once: the CDN, as for segments.
    const role = peers && playback.started ? this.deps.role(request) : 'alone';
    return decidePart({
      nowMs,
      p2pEnabled: peers !== null && integrity !== null,
      role,
      deadlineMs: playback.deadlineMs(request.startSec, nowMs),
      safetyMarginMs: PART_SAFETY_MARGIN_MS,
      forceHttp,
      signedSizeBytes: integrity?.known(request)?.sizeBytes ?? null,
      typicalPartBytes: TYPICAL_PART_BYTES,
      holders: (peers?.partHolders(request) ?? []).map((session) => ({
        peerId: session.remotePeerId,
        bytesPerSec: session.throughput.bytesPerSec,
        activeDownloads: session.activeDownloads,
      })),
      failedPeers,
      httpBytesPerSec: this.http.bytesPerSec,
    });
  }

  private async fromHttp(
    request: PartRequest,
    attempt: Attempt,
    fetcher: boolean,
  ): Promise<PartResult> {
    const { platform } = this.deps;
    const { integrity, store, counters: stats } = this;
    // The fetcher asks for the part's signed entry beside the part (the origin holds both
    // until the part exists), to announce the part with it.
    const playlistUrl = this.deps.playlistUrl(request.rendition);
    const entry =
      fetcher && integrity && playlistUrl ? integrity.fetchFor(request, playlistUrl) : undefined;
    const startedAtMs = platform.clock.now();
    const get = platform.http.get({ url: request.url });
    attempt.cancelCurrent = get.cancel;
    const response = await get.promise;
    attempt.cancelCurrent = null;
    const endedAtMs = platform.clock.now();
    const bytes = response.bytes;
    this.http.add(bytes.byteLength, Math.max(1, endedAtMs - response.firstByteAtMs));
    stats.fromHttp++;
    stats.httpBytes += bytes.byteLength;
    store.add(request, bytes, integrity?.known(request) ?? null, 'http');
    // Shared only once the CDN's bytes match the entry: peers would penalise us otherwise.
    void entry
      ?.then(async (signed) => {
        if (!signed || !integrity) return;
        await integrity.check(request, bytes);
        store.sign(request, signed);
      })
      .catch(() => undefined);
    return {
      bytes,
      source: 'http',
      timing: { startedAtMs, firstByteAtMs: response.firstByteAtMs, endedAtMs },
    };
  }

  private async fromPeer(
    request: PartRequest,
    attempt: Attempt,
    peerId: string,
  ): Promise<PartResult> {
    const { peers } = this.deps;
    const { integrity, store, counters: stats } = this;
    const session = peers?.session(peerId);
    const signed = integrity?.known(request);
    if (!session || !integrity || !signed)
      throw new EngineError('peer_closed', `peer ${peerId} is gone`);
    const sink = new Uint8Array(signed.sizeBytes);
    const download = session.download(request.rendition, request.sequence, {
      sink,
      part: request.part,
    });
    attempt.cancelCurrent = download.cancel;
    const timing = await download.promise;
    attempt.cancelCurrent = null;
    await integrity.check(request, sink);
    stats.fromP2p++;
    stats.p2pBytes += sink.byteLength;
    store.add(request, sink, signed, 'p2p');
    return { bytes: sink, source: 'p2p', timing };
  }

  private waitUntil(attempt: Attempt, untilMs: number): Promise<void> {
    const { clock } = this.deps.platform;
    return new Promise((resolve) => {
      let timer: TimerId | null = null;
      const done = (): void => {
        if (timer !== null) clock.clearTimeout(timer);
        timer = null;
        attempt.wake = null;
        this.waiting.delete(attempt);
        resolve();
      };
      attempt.wake = done;
      this.waiting.add(attempt);
      timer = clock.setTimeout(done, Math.max(0, untilMs - clock.now()));
    });
  }
}
