import { BackgroundVerifier } from './background-verify.js';
import type { EngineConfig } from './config.js';
import type { Download } from './download.js';
import { AbortedError, EngineError } from './errors.js';
import type { IntegrityRegistry } from './integrity.js';
import type { EnginePlatform } from './platform.js';
import type { PeerManager } from './peer-manager.js';
import type { LogFn } from './peer-transfer.js';
import type { SegmentInfo } from './playlist-state.js';
import type {
  SegmentSource,
  SegmentStore,
  StoredSegment,
  TransferTiming,
} from './segment-store.js';
import type { StatsCounters } from './stats.js';

export interface SegmentKeeperDeps {
  platform: EnginePlatform;
  config: EngineConfig;
  store: SegmentStore;
  integrity: IntegrityRegistry | null;
  peers: PeerManager | null;
  stats: StatsCounters;
  discardBytes: (download: Download) => void;
  log: LogFn;
}

/**
 * The end of a download: peer bytes verified before anyone sees them (bad ones get their
 * senders banned), the source counted, the bytes stored, CDN bytes verified in the background
 * before they are shared; and the running size of a typical segment.
 */
export class SegmentKeeper {
  /** Running average of segment sizes: the size to plan for before a segment's is known. */
  typicalSegmentBytes = 1024 * 1024;
  private sizeSamples = 0;
  private readonly verifier: BackgroundVerifier | null;

  constructor(private readonly deps: SegmentKeeperDeps) {
    this.verifier = deps.integrity
      ? new BackgroundVerifier({
          platform: deps.platform,
          integrity: deps.integrity,
          store: deps.store,
          connectedPeers: () => deps.peers?.connectedCount ?? 0,
          log: deps.log,
        })
      : null;
  }

  /** Ban each peer whose bytes of the failed copy differ from the good copy now at hand. */
  private blame(download: Download, goodBytes: Uint8Array): void {
    const { bytes, spans } = download.suspect!;
    download.suspect = null;
    for (const { peerId, fromBytes, toBytes } of spans) {
      let same = bytes.byteLength === goodBytes.byteLength;
      for (let i = fromBytes; same && i < toBytes; i++) same = bytes[i] === goodBytes[i];
      if (!same) this.deps.peers?.ban(peerId, 'integrity', download.info.sequence);
    }
  }

  /** Verify and keep the bytes; null when peer bytes were bad (the caller retries over HTTP). */
  async verifyAndStore(download: Download): Promise<StoredSegment | null> {
    const { stats, integrity, platform, config } = this.deps;
    const info = download.info;
    const bytes = download.sink!;
    let verified = false;
    // CDN bytes need no check to be played, only to be shared: the player gets them now and
    // `keep` checks them in the background (at once when the signed hash is known, else when
    // the manifest has it). Checking first cost the player a digest and its thread hops per
    // segment, which a busy page pays in start-up time.
    if (integrity && config.integrityEnabled && download.p2pBytes > 0) {
      try {
        await integrity.verify(info.rendition, info.sequence, bytes);
        verified = true;
      } catch (error) {
        if (download.canceled) throw new AbortedError();
        // Peer bytes that cannot be verified never reach the player.
        const code = error instanceof EngineError ? error.code : 'integrity';
        if (code === 'integrity') {
          stats.integrityFailures++;
          const peers = [...download.contributors];
          // One sender: it is the one. Several: the CDN's copy says whose bytes were wrong, so
          // that a hostile peer cannot get an honest one that finished its segment banned.
          if (peers.length === 1) this.deps.peers?.ban(peers[0]!, 'integrity', info.sequence);
          else download.suspect = { bytes, spans: download.peerSpans };
          this.deps.log('warn', 'peer sent bad bytes: dropped and reported', {
            segment: download.key,
            peers,
          });
        }
        for (const peerId of download.contributors) download.failedPeers.add(peerId);
        this.deps.discardBytes(download);
        download.forceHttp = true;
        return null;
      }
    }
    if (download.canceled) throw new AbortedError();
    if (download.suspect) this.blame(download, bytes);
    const source: SegmentSource =
      download.p2pBytes > 0 && download.httpBytes > 0
        ? 'mixed'
        : download.p2pBytes > 0
          ? 'p2p'
          : 'http';
    stats.p2pBytes += download.p2pBytes;
    if (source === 'mixed') stats.segmentsMixed++;
    else if (source === 'p2p') stats.segmentsFromP2p++;
    else stats.segmentsFromHttp++;
    const prefetched = download.reason === 'prefetch' && !download.playerRequested;
    if (prefetched) stats.prefetchedBytes += bytes.byteLength;
    const endedAtMs = platform.clock.now();
    const timing: TransferTiming = {
      startedAtMs: download.startedAtMs,
      firstByteAtMs: download.firstByteAtMs ?? endedAtMs,
      endedAtMs,
    };
    // A CDN decision whose bytes were thrown away (a peer finished the segment) is no reason.
    const cdnReason = source === 'p2p' ? null : download.cdnReason;
    const stored = this.keep(info, bytes, source, timing, {
      cdnReason,
      verified,
      prefetched: download.reason === 'prefetch',
      played: download.playerRequested,
    });
    return (
      stored ?? {
        key: download.key,
        rendition: info.rendition,
        sequence: info.sequence,
        bytes,
        source,
        cdnReason,
        timing,
        verified,
        prefetched: false,
        played: true,
      }
    );
  }

  /**
   * Store a segment's bytes (null: larger than the whole store) and learn its size. Bytes not
   * verified yet (the CDN's) are checked in the background and shared only once they pass;
   * with integrity off they are shared as they are.
   */
  keep(
    info: SegmentInfo,
    bytes: Uint8Array,
    source: SegmentSource,
    timing: TransferTiming,
    flags: Pick<StoredSegment, 'cdnReason' | 'verified' | 'prefetched' | 'played'>,
  ): StoredSegment | null {
    const { store, integrity, config } = this.deps;
    this.sizeSamples++;
    this.typicalSegmentBytes +=
      (bytes.byteLength - this.typicalSegmentBytes) / Math.min(this.sizeSamples, 20);
    const verified = flags.verified || !config.integrityEnabled;
    const stored = store.put({
      rendition: info.rendition,
      sequence: info.sequence,
      bytes,
      source,
      timing,
      ...flags,
      verified,
    });
    if (stored && !verified && integrity !== null) this.verifier?.verify(info, bytes);
    return stored;
  }

  destroy(): void {
    this.verifier?.destroy();
  }
}
