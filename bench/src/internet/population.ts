/**
 * The internet benchmark's population now lives in the simulator package, so that the
 * simulator's `lab-internet-*` scenarios draw exactly the same homes from the same seed.
 */
export * from '@coral-cdn/swarm-sim/internet-lab';
