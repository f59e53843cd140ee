import { describe, expect, it } from 'vitest';
import {
  HandshakeGate,
  MAX_FRAMES_BEFORE_HANDSHAKE,
  type NonHandshakeFrame,
} from '../src/handshake-gate.js';
import { FakeClock } from './harness/fake-clock.js';

const have = (sequence: number): NonHandshakeFrame => ({
  type: 'have',
  rendition: '240p',
  added: [sequence],
  lost: [],
});

function gate() {
  const clock = new FakeClock();
  let late = 0;
  const handshakeGate = new HandshakeGate(clock, 5_000, () => late++);
  return { clock, gate: handshakeGate, late: () => late };
}

describe('the handshake gate', () => {
  it('calls a remote late once when no handshake comes in time', async () => {
    const { clock, late } = gate();
    await clock.advance(4_999);
    expect(late()).toBe(0);
    await clock.advance(10_000);
    expect(late()).toBe(1);
  });

  it('stops waiting when the handshake comes, or when destroyed', async () => {
    const answered = gate();
    expect(answered.gate.handshake()).toEqual({ first: true, held: [] });
    await answered.clock.advance(10_000);
    expect(answered.late()).toBe(0);
    const destroyed = gate();
    destroyed.gate.destroy();
    destroyed.gate.destroy(); // idempotent
    await destroyed.clock.advance(10_000);
    expect(destroyed.late()).toBe(0);
  });

  it('asks on the first early frame, holds the rest in order, and overflows past the limit', () => {
    const { gate: g } = gate();
    const verdicts = Array.from({ length: MAX_FRAMES_BEFORE_HANDSHAKE + 1 }, (_, i) =>
      g.early(have(i)),
    );
    expect(verdicts[0]).toBe('ask');
    expect(new Set(verdicts.slice(1, -1))).toEqual(new Set(['hold']));
    expect(verdicts.at(-1)).toBe('overflow');
    const outcome = g.handshake();
    expect(
      outcome.first && outcome.held.map((frame) => frame.type === 'have' && frame.added[0]),
    ).toEqual(Array.from({ length: MAX_FRAMES_BEFORE_HANDSHAKE }, (_, i) => i));
    expect(g.handshaken).toBe(true);
  });
});
