import { describe, expect, it } from 'vitest';
import {
  decideSegment,
  earliestDeadlineMs,
  HTTP_REQUEST_LATENCY_MS,
  MANIFEST_FETCH_ALLOWANCE_MS,
  MAX_DOWNLOADS_PER_PEER,
  MIN_SPLIT_BYTES,
  ownCdnReason,
  PEER_REQUEST_LATENCY_MS,
  pickHolder,
  deliveryMs,
  INITIAL_WINDOW_BYTES,
  slowStartRounds,
  splitHeadBytes,
  tailHolder,
  pairSplit,
  projectMs,
  type DecisionSnapshot,
  type HolderSnapshot,
  type SegmentDecision,
} from '../src/segment-decision.js';
import type { CdnReason } from '../src/stats.js';

/**
 * One table per rule of the per-segment decision, each named after its rule: deleting or
 * loosening any rule makes a row of its table fail. Every row states the whole decision (choice,
 * intents, deadline), so a rule that leaks into another's answer fails too.
 *
 * The base snapshot: at 10 s, a segment due at 20 s, a 1 s safety margin (9 s of slack), 100 KB
 * signed, nothing received, a VOD viewer with two peers connected, the CDN at 1 MB/s.
 */
const NOW = 10_000;
const DEADLINE = 20_000;
const MARGIN = 1_000;

const base: DecisionSnapshot = {
  nowMs: NOW,
  p2pEnabled: true,
  forceHttp: false,
  unrequestedPrefetch: false,
  playedAsParts: false,
  startupHold: false,
  firstFrameSegment: true,
  role: 'vod',
  knownDeadlineMs: Infinity,
  playbackDeadlineMs: DEADLINE,
  safetyMarginMs: MARGIN,
  playbackStarted: true,
  discovering: false,
  connectedCount: 2,
  signedSizeBytes: 100_000,
  filledBytes: 0,
  holders: [],
  failedPeers: new Set(),
  httpBytesPerSec: 1_000_000,
  typicalSegmentBytes: 1_000_000,
  maySign: true,
  manifestPending: false,
};

function holder(
  peerId: string,
  bytesPerSec = 1_000_000,
  activeDownloads = 0,
  rttMs: number | null = null,
): HolderSnapshot {
  return { peerId, bytesPerSec, activeDownloads, rttMs };
}
const fast = holder('fast');

type Row = [name: string, changes: Partial<DecisionSnapshot>, expected: SegmentDecision];

function decided(choice: SegmentDecision['choice'], deadlineMs = DEADLINE): SegmentDecision {
  return { choice, intents: [], deadlineMs };
}
function peer(peerId: string, deadlineMs = DEADLINE): SegmentDecision {
  return decided({ kind: 'peer', peerId }, deadlineMs);
}
function split(peerId: string, tailFromBytes: number, deadlineMs = DEADLINE): SegmentDecision {
  return decided({ kind: 'split', peerId, tailFromBytes, tailPeerId: null }, deadlineMs);
}
function pairOf(
  peerId: string,
  tailFromBytes: number,
  tailPeerId: string,
  deadlineMs = DEADLINE,
): SegmentDecision {
  return decided({ kind: 'split', peerId, tailFromBytes, tailPeerId }, deadlineMs);
}
function cdn(reason: CdnReason, deadlineMs = DEADLINE): SegmentDecision {
  return decided({ kind: 'http', reason }, deadlineMs);
}
function wait(untilMs: number, fetchManifest = false, deadlineMs = DEADLINE): SegmentDecision {
  return {
    choice: { kind: 'wait', untilMs },
    intents: fetchManifest ? [{ kind: 'fetch-manifest' }] : [],
    deadlineMs,
  };
}
const abandon = (deadlineMs = DEADLINE): SegmentDecision =>
  decided({ kind: 'abandon' }, deadlineMs);

function table(rows: Row[]) {
  it.each(rows)('%s', (_name, changes, expected) => {
    expect(decideSegment({ ...base, ...changes })).toEqual(expected);
  });
}

describe('segment decision', () => {
  describe('P2P off: the CDN, as a viewer alone, before any other rule', () => {
    table([
      [
        'a fast holder is not asked',
        { p2pEnabled: false, holders: [fast] },
        cdn('alone', Infinity),
      ],
      [
        'even a forced fallback counts as alone',
        { p2pEnabled: false, forceHttp: true },
        cdn('alone', Infinity),
      ],
      ['with P2P on, the fast holder', { holders: [fast] }, peer('fast')],
    ]);
  });

  describe('forced to the CDN (a peer fell behind or sent bad bytes): reason fallback', () => {
    table([
      [
        'a fast holder is not asked again',
        { forceHttp: true, holders: [fast] },
        cdn('fallback', Infinity),
      ],
      [
        'before the start-up hold and the prefetch drop',
        { forceHttp: true, startupHold: true, unrequestedPrefetch: true },
        cdn('fallback', Infinity),
      ],
    ]);
  });

  describe('start-up hold: the CDN as a viewer alone; a prefetch by its role; no deadline yet', () => {
    table([
      [
        'a requested segment: alone',
        { startupHold: true, holders: [fast] },
        cdn('alone', Infinity),
      ],
      [
        'a waiter drops an unrequested prefetch',
        { startupHold: true, unrequestedPrefetch: true, role: 'waiter' },
        abandon(Infinity),
      ],
      [
        'an elected fetcher takes its prefetch from the CDN',
        { startupHold: true, unrequestedPrefetch: true, role: 'fetcher' },
        cdn('elected', Infinity),
      ],
      [
        'the known deadline is kept as it was',
        { startupHold: true, knownDeadlineMs: 50_000 },
        cdn('alone', 50_000),
      ],
      [
        'a segment the first frame does not need waits for the hold to end',
        { startupHold: true, firstFrameSegment: false, holders: [fast] },
        wait(NOW + 250, false, Infinity),
      ],
      [
        'an elected fetcher still takes its prefetch beyond the first frame',
        { startupHold: true, firstFrameSegment: false, unrequestedPrefetch: true, role: 'fetcher' },
        cdn('elected', Infinity),
      ],
      [
        'after the hold the first-frame mark means nothing',
        { firstFrameSegment: false, holders: [fast] },
        peer('fast', DEADLINE),
      ],
    ]);
  });

  describe('a deadline only moves earlier', () => {
    table([
      [
        'a later playback deadline does not push it out',
        { knownDeadlineMs: 15_000 },
        cdn('deadline', 15_000),
      ],
      [
        'an earlier playback deadline moves it in',
        { knownDeadlineMs: 50_000, holders: [fast] },
        peer('fast', DEADLINE),
      ],
      [
        'the earlier deadline decides: 1.1 s left cannot fit a 100 ms transfer with its margin',
        { knownDeadlineMs: NOW + 1_100, holders: [fast] },
        // 40 ms after the request's latency, at half of 1 MB/s: a 20 KB head.
        split('fast', 20_000, NOW + 1_100),
      ],
    ]);
    it('earliestDeadlineMs takes the minimum', () => {
      expect(earliestDeadlineMs(15_000, 20_000)).toBe(15_000);
      expect(earliestDeadlineMs(20_000, 15_000)).toBe(15_000);
      expect(earliestDeadlineMs(Infinity, 15_000)).toBe(15_000);
    });
  });

  describe('a peer is asked when its projected transfer plus the request latency allowance beats the deadline minus the safety margin', () => {
    // 9 s of slack; at 100 KB/s a transfer of N bytes takes N/100 ms, plus 60 ms to ask.
    const slow = holder('slow', 100_000);
    const fitsBytes = (9_000 - PEER_REQUEST_LATENCY_MS) * 100 - 10;
    const tooBigBytes = (9_000 - PEER_REQUEST_LATENCY_MS) * 100;
    // Too slow for it all: half its rate over the same time is a head for it, the rest the CDN's.
    const halfSlackBytes = tooBigBytes / 2;
    table([
      [
        'just inside the slack: the peer',
        { holders: [slow], signedSizeBytes: fitsBytes },
        peer('slow'),
      ],
      [
        'exactly the slack with the latency allowance: the CDN for the tail',
        { holders: [slow], signedSizeBytes: tooBigBytes },
        split('slow', halfSlackBytes),
      ],
      [
        'the safety margin counts: 10 ms more margin and it no longer fits',
        { holders: [slow], signedSizeBytes: fitsBytes, safetyMarginMs: MARGIN + 10 },
        split('slow', halfSlackBytes - 500),
      ],
      [
        'only the bytes still missing count',
        { holders: [slow], signedSizeBytes: tooBigBytes + 1_000, filledBytes: 1_010 },
        peer('slow'),
      ],
      [
        'bytes already received do not shrink a transfer below its size otherwise',
        { holders: [slow], signedSizeBytes: tooBigBytes + 1_000, filledBytes: 1_000 },
        split('slow', 1_000 + halfSlackBytes),
      ],
      [
        'a holder with no rate counts as 1 B/s, not as infinitely slow',
        { holders: [holder('stalled', 0)], signedSizeBytes: 1 },
        peer('stalled'),
      ],
    ]);
  });

  describe('a holder too slow for the whole rest carries a head; the CDN takes the tail at once', () => {
    // 2 MB would take a 100 KB/s holder 20 s; in the 9 s of slack half its rate moves 447 KB.
    const big = { signedSizeBytes: 2_000_000 };
    const slow = holder('slow', 100_000);
    table([
      [
        'half the holder rate over the slack after its latency',
        { ...big, holders: [slow] },
        split('slow', 447_000),
      ],
      [
        'its round trip comes off the time',
        { ...big, holders: [holder('slow', 100_000, 0, 100)] },
        split('slow', 442_000),
      ],
      [
        'exactly MIN_SPLIT_BYTES: a split',
        { ...big, holders: [holder('thin', 32_768)], knownDeadlineMs: NOW + 2_060 },
        split('thin', MIN_SPLIT_BYTES, NOW + 2_060),
      ],
      [
        'one byte less: the CDN alone',
        { ...big, holders: [holder('thin', 32_766)], knownDeadlineMs: NOW + 2_060 },
        cdn('deadline', NOW + 2_060),
      ],
      [
        'slow start makes even the head late: the CDN alone',
        { ...big, holders: [holder('far', 1_000_000, 0, 1_000)], knownDeadlineMs: NOW + 3_500 },
        cdn('deadline', NOW + 3_500),
      ],
      [
        'a head as big as the rest is no split',
        { holders: [holder('far', 1_000_000, 0, 1_000)], knownDeadlineMs: NOW + 3_500 },
        cdn('deadline', NOW + 3_500),
      ],
      [
        'the head starts where the bytes received end',
        { ...big, holders: [slow], filledBytes: 5_000 },
        split('slow', 5_000 + 447_000),
      ],
      [
        'the elected fetcher splits too',
        { ...big, holders: [slow], role: 'fetcher' },
        split('slow', 447_000),
      ],
      [
        'a live waiter first waits while the CDN could still deliver later',
        { ...big, holders: [slow], role: 'waiter' },
        wait(DEADLINE - MARGIN - 2_000 - HTTP_REQUEST_LATENCY_MS),
      ],
      [
        'an unrequested prefetch is dropped, not split',
        { ...big, holders: [slow], unrequestedPrefetch: true },
        abandon(),
      ],
    ]);
    it('splitHeadBytes: never the whole rest (that holder would simply be asked for it)', () => {
      // 9 s of slack at half of 1 MB/s: 4,470,000 bytes of head.
      const head = (9_000 - PEER_REQUEST_LATENCY_MS) * 500;
      expect(splitHeadBytes(fast, head, 9_000)).toBe(0);
      expect(splitHeadBytes(fast, head + 1, 9_000)).toBe(head);
    });
  });

  describe('two holders share a rest neither carries alone in time, in proportion to their rates', () => {
    // 9 s of slack; at 100 KB/s a holder moves 894 KB in time, so 1.5 MB needs two.
    const a = holder('a', 100_000);
    const b = holder('b', 100_000);
    const pairSize = { signedSizeBytes: 1_500_000 };
    // Neither can carry half of 1.8 MB in time: the CDN takes the tail of a's head.
    const cdnTail = split('a', 447_000);
    table([
      ['equal rates: half each', { ...pairSize, holders: [a, b] }, pairOf('a', 750_000, 'b')],
      [
        'twice the rate: two thirds of the rest',
        { signedSizeBytes: 2_400_000, holders: [holder('a', 200_000), b] },
        pairOf('a', 1_600_000, 'b'),
      ],
      [
        'the tail starts where the bytes received and the head end',
        { signedSizeBytes: 1_600_000, filledBytes: 100_000, holders: [a, b] },
        pairOf('a', 850_000, 'b'),
      ],
      [
        'each part must be in time, or the CDN takes the tail',
        { signedSizeBytes: 1_800_000, holders: [a, b] },
        cdnTail,
      ],
      [
        'a second holder with MAX_DOWNLOADS_PER_PEER of ours in flight is not asked',
        { ...pairSize, holders: [a, holder('b', 100_000, MAX_DOWNLOADS_PER_PEER)] },
        split('a', 447_000),
      ],
      [
        'one download fewer and it is',
        { ...pairSize, holders: [a, holder('b', 100_000, MAX_DOWNLOADS_PER_PEER - 1)] },
        pairOf('a', 750_000, 'b'),
      ],
      [
        'a peer that failed this download is not the second',
        { ...pairSize, holders: [a, b], failedPeers: new Set(['b']) },
        split('a', 447_000),
      ],
      [
        'a part under MIN_SPLIT_BYTES is no pair: the CDN takes the tail',
        { signedSizeBytes: 9_500_000, holders: [fast, holder('crawl', 1_000)] },
        split('fast', 4_470_000),
      ],
      [
        'a live waiter takes the pair at once instead of waiting',
        { ...pairSize, holders: [a, b], role: 'waiter' },
        pairOf('a', 750_000, 'b'),
      ],
      [
        'one holder alone in time needs no pair',
        { signedSizeBytes: 800_000, holders: [a, b] },
        peer('a'),
      ],
    ]);
  });

  describe('the path round trip counts: a holder must deliver with its measured RTT on top of the allowance', () => {
    const fitsBytes = (9_000 - PEER_REQUEST_LATENCY_MS) * 100 - 10;
    table([
      [
        'a holder that fits unmeasured no longer fits 10 ms further away',
        { holders: [holder('slow', 100_000, 0, 10)], signedSizeBytes: fitsBytes },
        split('slow', (9_000 - PEER_REQUEST_LATENCY_MS - 10) * 50),
      ],
      [
        'and fits again with 10 ms less to move',
        { holders: [holder('slow', 100_000, 0, 10)], signedSizeBytes: fitsBytes - 1_000 },
        peer('slow'),
      ],
    ]);
  });

  describe('the holder that would deliver soonest is asked: the nearer of equally fast ones', () => {
    const far = holder('far', 1_000_000, 0, 200);
    const near = holder('near', 1_000_000, 0, 20);
    table([
      [
        'near beats an equally fast far holder listed first',
        { holders: [far, near] },
        peer('near'),
      ],
      [
        'an unmeasured path counts as no round trip',
        { holders: [far, holder('unmeasured')] },
        peer('unmeasured'),
      ],
      [
        'a far holder ten times faster beats a slow near one on a big segment',
        { holders: [holder('near-slow', 100_000, 0, 10), holder('far-fast', 1_000_000, 0, 200)] },
        peer('far-fast'),
      ],
      [
        'a tie keeps the list order',
        { holders: [holder('first', 1_000_000, 0, 50), holder('second', 1_000_000, 0, 50)] },
        peer('first'),
      ],
      [
        'a near holder with no room yields to a far one with room',
        { holders: [holder('near-busy', 1_000_000, MAX_DOWNLOADS_PER_PEER, 20), far] },
        peer('far'),
      ],
    ]);
    it('deliveryMs: the allowance, the round trip, then the bytes at the rate', () => {
      expect(deliveryMs(holder('slowish', 100_000, 0, 200), 500_000)).toBe(
        PEER_REQUEST_LATENCY_MS + 200 + 5_000,
      );
      expect(deliveryMs(holder('u'), 500_000)).toBe(PEER_REQUEST_LATENCY_MS + 500);
    });
    it("deliveryMs: or slow start's round trips on a far path, when longer", () => {
      // 116 KB: five round trips (4380 × 31 B ≥ 116 KB > 4380 × 15 B); 250 ms + 116 ms at 1 MB/s.
      expect(deliveryMs(far, 116_000)).toBe(PEER_REQUEST_LATENCY_MS + 5 * 200);
      expect(deliveryMs(holder('near', 1_000_000, 0, 20), 116_000)).toBe(
        PEER_REQUEST_LATENCY_MS + 20 + 116,
      );
    });
    it('slowStartRounds: the window doubles each round trip from 4380 bytes', () => {
      expect(INITIAL_WINDOW_BYTES).toBe(4380);
      expect(slowStartRounds(0)).toBe(0);
      expect(slowStartRounds(4380)).toBe(1);
      expect(slowStartRounds(4381)).toBe(2);
      expect(slowStartRounds(3 * 4380)).toBe(2);
      expect(slowStartRounds(3 * 4380 + 1)).toBe(3);
      expect(slowStartRounds(116_000)).toBe(5);
    });
  });

  describe(`a holder already serving ${MAX_DOWNLOADS_PER_PEER} downloads yields to one with room`, () => {
    const busy = holder('busy', 2_000_000, MAX_DOWNLOADS_PER_PEER);
    const almostBusy = holder('almost', 2_000_000, MAX_DOWNLOADS_PER_PEER - 1);
    table([
      ['a full first holder: the next one', { holders: [busy, fast] }, peer('fast')],
      [
        'a holder one below the limit is still first',
        { holders: [almostBusy, fast] },
        peer('almost'),
      ],
      [
        'all full: the first anyway',
        { holders: [busy, holder('busy2', 1_000_000, 5)] },
        peer('busy'),
      ],
    ]);
  });

  describe('peers that failed this download are not asked again', () => {
    table([
      [
        'the failed fastest is skipped',
        { holders: [fast, holder('other')], failedPeers: new Set(['fast']) },
        peer('other'),
      ],
      ['all failed: no peer', { holders: [fast], failedPeers: new Set(['fast']) }, cdn('deadline')],
    ]);
  });

  describe('an unrequested prefetch no peer serves: the fetcher or the lone viewer takes it from the CDN, anyone else drops it', () => {
    table([
      ['vod: dropped', { unrequestedPrefetch: true }, abandon()],
      ['live waiter: dropped', { unrequestedPrefetch: true, role: 'waiter' }, abandon()],
      ['live fetcher: elected', { unrequestedPrefetch: true, role: 'fetcher' }, cdn('elected')],
      ['live alone: alone', { unrequestedPrefetch: true, role: 'alone' }, cdn('alone')],
      [
        'a holder in time still serves it',
        { unrequestedPrefetch: true, holders: [fast] },
        peer('fast'),
      ],
      [
        'without a signed hash: dropped',
        { unrequestedPrefetch: true, signedSizeBytes: null },
        abandon(),
      ],
      [
        'played as LL parts, even by the fetcher with a holder in time: dropped',
        { unrequestedPrefetch: true, playedAsParts: true, role: 'fetcher', holders: [fast] },
        abandon(Infinity),
      ],
      [
        'played as LL parts but asked for by the player: served',
        { playedAsParts: true, holders: [fast] },
        peer('fast'),
      ],
      [
        'without a signed hash, an elected fetcher: the CDN',
        { unrequestedPrefetch: true, signedSizeBytes: null, role: 'fetcher' },
        cdn('elected'),
      ],
    ]);
  });

  describe('no signed hash: the CDN for a viewer with its own CDN role that is not connecting', () => {
    table([
      ['elected fetcher', { signedSizeBytes: null, role: 'fetcher' }, cdn('elected')],
      ['alone and not discovering', { signedSizeBytes: null, role: 'alone' }, cdn('alone')],
      [
        'alone but still connecting (no peer yet): waits for the entry from peers',
        { signedSizeBytes: null, role: 'alone', discovering: true, connectedCount: 0 },
        // 20 s − 1 s margin − (1 MB at 1 MB/s + 150 ms) − 500 ms for the manifest
        wait(DEADLINE - MARGIN - 1_000 - HTTP_REQUEST_LATENCY_MS - MANIFEST_FETCH_ALLOWANCE_MS),
      ],
    ]);
  });

  describe('no signed hash and nothing may sign it: the CDN, reason unsigned', () => {
    table([
      ['the manifest cannot sign', { signedSizeBytes: null, maySign: false }, cdn('unsigned')],
      [
        'a peer holding it does not help',
        { signedSizeBytes: null, maySign: false, holders: [fast] },
        cdn('unsigned'),
      ],
    ]);
  });

  describe('no signed hash: wait for the manifest while the CDN could still deliver a typical segment in time, then the CDN', () => {
    // VOD: 20 s − 1 s − (1 MB at 1 MB/s = 1 s) − 150 ms = 17.85 s.
    const waitUntil = DEADLINE - MARGIN - 1_000 - HTTP_REQUEST_LATENCY_MS;
    table([
      ['vod: fetch the manifest now and wait', { signedSizeBytes: null }, wait(waitUntil, true)],
      [
        'a manifest fetch already under way is not repeated',
        { signedSizeBytes: null, manifestPending: true },
        wait(waitUntil),
      ],
      [
        '1 ms before the CDN must start: still waits',
        { signedSizeBytes: null, nowMs: waitUntil - 1 },
        wait(waitUntil, true),
      ],
      [
        'when the CDN must start: unsigned',
        { signedSizeBytes: null, nowMs: waitUntil },
        cdn('unsigned'),
      ],
      [
        'the typical segment size sets the wait: 2 MB takes a second longer',
        { signedSizeBytes: null, typicalSegmentBytes: 2_000_000 },
        wait(waitUntil - 1_000, true),
      ],
      [
        'the CDN rate sets the wait: 2 MB/s halves the transfer',
        { signedSizeBytes: null, httpBytesPerSec: 2_000_000 },
        wait(waitUntil + 500, true),
      ],
      [
        'a CDN with no rate counts as 1 B/s, not as infinitely slow',
        { signedSizeBytes: null, httpBytesPerSec: 0, typicalSegmentBytes: 1 },
        wait(DEADLINE - MARGIN - 1_000 - HTTP_REQUEST_LATENCY_MS, true),
      ],
    ]);
  });

  describe('no signed hash, live: the entry is awaited from peers until the manifest allowance, then the manifest is fetched', () => {
    const waitUntil = DEADLINE - MARGIN - 1_000 - HTTP_REQUEST_LATENCY_MS;
    const fromPeersUntil = waitUntil - MANIFEST_FETCH_ALLOWANCE_MS;
    table([
      [
        'early: wait for a peer’s signed entry',
        { signedSizeBytes: null, role: 'waiter' },
        wait(fromPeersUntil),
      ],
      [
        '1 ms before the allowance: still waiting for peers',
        { signedSizeBytes: null, role: 'waiter', nowMs: fromPeersUntil - 1 },
        wait(fromPeersUntil),
      ],
      [
        'at the allowance: fetch the manifest and wait',
        { signedSizeBytes: null, role: 'waiter', nowMs: fromPeersUntil },
        wait(waitUntil, true),
      ],
    ]);
  });

  describe('a live waiter (or a viewer still connecting) waits for peers while the CDN could still deliver the rest in time', () => {
    // 20 s − 1 s − (100 KB at 1 MB/s = 100 ms) − 150 ms = 18.75 s.
    const waitUntil = DEADLINE - MARGIN - 100 - HTTP_REQUEST_LATENCY_MS;
    table([
      ['live waiter: waits', { role: 'waiter' }, wait(waitUntil)],
      [
        '1 ms before the CDN must start: waits',
        { role: 'waiter', nowMs: waitUntil - 1 },
        wait(waitUntil),
      ],
      ['when the CDN must start: the CDN', { role: 'waiter', nowMs: waitUntil }, cdn('deadline')],
      [
        'a waiter with bytes already received does not wait',
        { role: 'waiter', filledBytes: 1 },
        cdn('deadline'),
      ],
      ['not before the first frame', { role: 'waiter', playbackStarted: false }, cdn('deadline')],
      [
        'the CDN rate sets the wait',
        { role: 'waiter', httpBytesPerSec: 100_000 },
        wait(waitUntil + 100 - 1_000),
      ],
      ['vod, still discovering peers: waits', { discovering: true }, wait(waitUntil)],
      [
        'vod, discovering, before the first frame: the CDN',
        { discovering: true, playbackStarted: false },
        cdn('deadline'),
      ],
      ['vod, done discovering: the CDN', {}, cdn('deadline')],
      [
        'live alone, discovering with no peer connected: waits',
        { role: 'alone', discovering: true, connectedCount: 0 },
        wait(waitUntil),
      ],
      [
        'live alone, discovering with a peer connected: the CDN',
        { role: 'alone', discovering: true, connectedCount: 1 },
        cdn('alone'),
      ],
      ['live fetcher: takes it from the CDN', { role: 'fetcher' }, cdn('elected')],
    ]);
  });

  describe('otherwise the CDN: alone with no peer connected, else because of the deadline', () => {
    table([
      ['no peer connected', { connectedCount: 0 }, cdn('alone')],
      ['peers connected, none holds it in time', { connectedCount: 1 }, cdn('deadline')],
    ]);
  });

  describe('helpers', () => {
    it('pairSplit: each part at least MIN_SPLIT_BYTES, the head and the tail alike', () => {
      const none = new Set<string>();
      const rest = 4 * MIN_SPLIT_BYTES; // 65,536 bytes: a quarter and three quarters
      const [slow, quick] = [holder('slow', 100_000), holder('quick', 300_000)];
      // Head a quarter (the first is the slower): exactly MIN, then one byte under it.
      expect(pairSplit(slow, [slow, quick], none, rest, 9_000)).toEqual({
        headBytes: MIN_SPLIT_BYTES,
        tailPeerId: 'quick',
      });
      expect(pairSplit(slow, [slow, quick], none, rest - 4, 9_000)).toBeNull();
      // Tail a quarter: exactly MIN, then one byte under it.
      expect(pairSplit(quick, [quick, slow], none, rest, 9_000)).toEqual({
        headBytes: 3 * MIN_SPLIT_BYTES,
        tailPeerId: 'slow',
      });
      expect(pairSplit(quick, [quick, slow], none, rest - 4, 9_000)).toBeNull();
    });

    it('pairSplit: the head and the tail must each be in time', () => {
      const none = new Set<string>();
      const near = holder('near', 100_000);
      // 5 s away: slow start alone takes it past the slack.
      const far = holder('far', 100_000, 0, 5_000);
      expect(pairSplit(near, [near, far], none, 1_500_000, 9_000)).toBeNull();
      expect(pairSplit(far, [far, near], none, 1_500_000, 9_000)).toBeNull();
      expect(pairSplit(near, [near, holder('b', 100_000)], none, 1_500_000, 9_000)).toEqual({
        headBytes: 750_000,
        tailPeerId: 'b',
      });
    });

    it('tailHolder: the soonest free holder not excluded, only if in time', () => {
      // 100 KB at 100 KB/s: 1,060 ms with the request latency.
      const a = holder('a', 100_000);
      const none = new Set<string>();
      expect(tailHolder([a], none, 100_000, 1_061)?.peerId).toBe('a');
      expect(tailHolder([a], none, 100_000, 1_060)).toBeUndefined();
      expect(tailHolder([a, fast], none, 100_000, 1_061)?.peerId).toBe('fast');
      expect(tailHolder([a, fast], new Set(['fast']), 100_000, 1_061)?.peerId).toBe('a');
      const busy = holder('busy', 1_000_000, MAX_DOWNLOADS_PER_PEER);
      expect(tailHolder([busy], none, 100_000, 9_000)).toBeUndefined();
      expect(tailHolder([busy, a], none, 100_000, 9_000)?.peerId).toBe('a');
    });

    it('ownCdnReason: elected for a fetcher, alone for a lone viewer, none otherwise', () => {
      expect(ownCdnReason('fetcher')).toBe('elected');
      expect(ownCdnReason('alone')).toBe('alone');
      expect(ownCdnReason('waiter')).toBeNull();
      expect(ownCdnReason('vod')).toBeNull();
    });
    it('projectMs: bytes over rate, at least 1 B/s', () => {
      expect(projectMs(1_000, 1_000)).toBe(1_000);
      expect(projectMs(1_000, 0)).toBe(1_000_000);
    });
    it('pickHolder: none when every holder is excluded or there is none', () => {
      expect(pickHolder([], new Set(), 1_000)).toBeUndefined();
      expect(pickHolder([fast], new Set(['fast']), 1_000)).toBeUndefined();
    });
  });
});
