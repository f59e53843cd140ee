import { describe, expect, it } from 'vitest';
import {
  RETRY_AFTER_FAILURE_MAX_MS,
  RETRY_AFTER_FIRST_FAILURE_MS,
  UnreachablePeers,
  retryAfterMs,
} from '../src/unreachable-peers.js';

/** A set of unreachable peers on a clock the test moves. */
function peersAt(startMs = 1_000) {
  const clock = { nowMs: startMs };
  return { clock, peers: new UnreachablePeers(() => clock.nowMs) };
}

/** Fail the peer's set-up `times` times in a row, each when the previous wait has run out. */
function failInARow(peers: UnreachablePeers, clock: { nowMs: number }, times: number): void {
  for (let failure = 1; failure <= times; failure++) {
    peers.mark('p');
    if (failure < times) clock.nowMs += retryAfterMs(failure);
  }
}

describe('unreachable peers', () => {
  it.each([
    [1, 5_000],
    [2, 10_000],
    [3, 20_000],
    [4, 30_000],
    [9, 30_000],
  ])('after failure %i in a row the peer is left alone %i ms', (failures, waitMs) => {
    expect(retryAfterMs(failures)).toBe(waitMs);
    const { clock, peers } = peersAt();
    failInARow(peers, clock, failures);
    clock.nowMs += waitMs - 1;
    expect(peers.recently('p')).toBe(true);
    clock.nowMs += 1;
    expect(peers.recently('p')).toBe(false);
  });

  it('a peer never marked is not unreachable', () => {
    const { peers } = peersAt();
    expect(peers.recently('p')).toBe(false);
  });

  it('failures stay counted after the wait ran out: the next failure waits longer', () => {
    const { clock, peers } = peersAt();
    peers.mark('p');
    clock.nowMs += RETRY_AFTER_FIRST_FAILURE_MS;
    expect(peers.recently('p')).toBe(false);
    peers.mark('p');
    clock.nowMs += 2 * RETRY_AFTER_FIRST_FAILURE_MS - 1;
    expect(peers.recently('p')).toBe(true);
  });

  it('a set-up that opened forgets the failures: the next one waits the first wait again', () => {
    const { clock, peers } = peersAt();
    failInARow(peers, clock, 3);
    clock.nowMs += retryAfterMs(3);
    peers.reached('p');
    peers.mark('p');
    clock.nowMs += RETRY_AFTER_FIRST_FAILURE_MS;
    expect(peers.recently('p')).toBe(false);
  });

  it('peers are counted apart', () => {
    const { clock, peers } = peersAt();
    failInARow(peers, clock, 3);
    peers.mark('q');
    clock.nowMs += RETRY_AFTER_FIRST_FAILURE_MS;
    expect(peers.recently('q')).toBe(false);
    expect(peers.recently('p')).toBe(true);
  });

  it('a peer refused for its path (a relay not allowed) waits the longest at once, after any opening', () => {
    const { clock, peers } = peersAt();
    peers.reached('p');
    peers.refused('p');
    clock.nowMs += RETRY_AFTER_FAILURE_MAX_MS - 1;
    expect(peers.recently('p')).toBe(true);
    clock.nowMs += 1;
    expect(peers.recently('p')).toBe(false);
  });
});
