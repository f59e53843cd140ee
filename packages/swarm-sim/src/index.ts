export { EventClock, drainMicrotasks } from './event-clock.js';
export { FlowNetwork, Flow, Link, maxMinRates } from './flow-network.js';
export { canConnect, NAT_TYPES, type NatType, type Route } from './nat.js';
export {
  setupDelayMs,
  lostHandshakePackets,
  WERIFT_PEER_SETUP,
  type PeerSetupModel,
} from './peer-setup.js';
export { lossCapBytesPerSec } from './paths.js';
export {
  drawTimeFactor,
  WERIFT_TRANSFER_SPREAD,
  type TransferSpreadModel,
} from './transfer-spread.js';
export * from './population.js';
export * from './metrics.js';
export * from './scenarios.js';
export type { SimSpec } from './spec.js';
export { simulate, type SimResult, type ViewerOutcome } from './simulate.js';
export { summaryLines } from './summary.js';
export { SimTracker, defaultSimTrackerConfig, type SimTrackerConfig } from './sim-tracker.js';
export {
  labHomeProfile,
  labInternetSpec,
  LAB_INTERNET_BITRATE_BITS_PER_SEC,
  LAB_INTERNET_BUFFER_SEC,
  type LabInternetOptions,
} from './lab-internet.js';
export {
  cohortPlan,
  CohortError,
  oneCopyBytes,
  scaleSegmentBytes,
  scaleLoad,
  scaledFluidBound,
  scaleCount,
  offloadOf,
  type CohortPlan,
  type CohortApproximation,
} from './cohort-scaling.js';
export { combineCohorts, combineSamples } from './cohort-combine.js';
export {
  simulateCohort,
  cohortRunSpec,
  cohortRefusal,
  type CohortOptions,
} from './simulate-cohort.js';
