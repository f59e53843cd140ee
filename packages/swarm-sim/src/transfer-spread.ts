import { normal } from './random.js';

/**
 * Loss recovery makes each transfer on a lossy path take its own time: a burst that loses
 * nothing finishes in slow start well under the loss cap's time, one that loses its tail waits
 * for a retransmission timer. The flow model keeps the loss cap (Mathis) as the centre and
 * draws, per burst from idle, a log-normal factor on the transfer time.
 */
export interface TransferSpreadModel {
  /** Median of the time factor (1: the loss cap's time). */
  readonly medianTimeFactor: number;
  /** Spread of ln(time factor). */
  readonly sigma: number;
}

/**
 * werift data channels between the internet benchmark's cone homes (bench `coral-netns node
 * dist/measure/path.js`): 103 transfers of a 116 kB segment on paths of 96-156 ms RTT and
 * 2.3-3.2% loss took 0.37-2.66 times the loss cap's time (back to back: median 0.98, ln-sd
 * 0.26; 2 s apart: 1.21, 0.39; first on a fresh channel: 1.09, 0.56). Pooled: ln-mean 0.034,
 * ln-sd 0.40. The loss cap is the right centre (not too pessimistic for SCTP); what it
 * missed is the spread.
 */
export const WERIFT_TRANSFER_SPREAD: TransferSpreadModel = {
  medianTimeFactor: 1.03,
  sigma: 0.4,
};

/** One burst's time factor (pure given `random`). */
export function drawTimeFactor(model: TransferSpreadModel, random: () => number): number {
  return model.medianTimeFactor * Math.exp(model.sigma * normal(random));
}
