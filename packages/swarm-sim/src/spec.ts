import type { EngineConfig } from '@coral-cdn/p2p-engine';
import type { AudienceSpec, PopulationSpec, ViewerProfile } from './population.js';
import type { PeerSetupModel } from './peer-setup.js';
import type { Rendition } from './stream.js';
import type { TransferSpreadModel } from './transfer-spread.js';

/** Everything one simulation run needs. */
export interface SimSpec {
  readonly scenario: string;
  readonly seed: number;
  readonly live: boolean;
  /** Simulated time, s (ends earlier with `measureWindowSec` once the window is measured). */
  readonly durationSec: number;
  readonly segmentDurationSec: number;
  /** Live: playlist window, segments. VOD: clip length, segments. */
  readonly segments: number;
  readonly renditions: readonly Rendition[];
  readonly population: PopulationSpec;
  readonly audience: AudienceSpec;
  /**
   * A fixed population (the network lab's homes), taken in join order instead of drawing
   * from `population`; viewers past its end are drawn.
   */
  readonly homes?: readonly ViewerProfile[];
  readonly cdn: {
    /** CDN egress capacity, bit/s (null: unlimited). */
    readonly egressBitsPerSec: number | null;
    readonly firstByteMs: number;
  };
  /** Each segment payload byte stands for this many bytes (1: real sizes). */
  readonly byteScale: number;
  readonly sampleSec: number;
  readonly p2p: boolean;
  /** Engine settings in real units (bytes are scaled for the engines by `byteScale`). */
  readonly engine: Partial<EngineConfig>;
  /** The peers' WebRTC set-up (absent: the generic route figures, no loss term). */
  readonly peerSetup?: PeerSetupModel;
  /** Per-transfer spread of peer transfers on lossy paths (absent: every one at the loss cap). */
  readonly peerTransferSpread?: TransferSpreadModel;
  readonly player: {
    readonly tickMs: number;
    readonly bufferTargetSec: number;
    readonly liveSyncSegments: number;
  };
  /**
   * Validation runs: measure offload over this many seconds from the moment every viewer has
   * joined and plays (as the swarm benchmark's window), then stop.
   */
  readonly measureWindowSec: number | null;
  /**
   * Cohort runs: audience viewers per simulated viewer (N / M). The tracker's election then
   * seats the audience's proportion of candidates from the cohort and stands in for the rest.
   * Absent or 1: a swarm of its own.
   */
  readonly cohortWeight?: number;
}
