import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveExamples } from '@coral-cdn/example-players/serve';
import {
  launchChromium,
  openViewer,
  startStack,
  uploadClip,
  type Stack,
  type Viewer,
} from '@coral-cdn/test-support';
import { explain, waitForViewer } from './support/watch.js';

/**
 * Coral in the players people use (examples/players): each page, bundled by esbuild, plays a
 * short VOD in real Chromium through its player's own hls.js set-up with Coral's loaders. Two
 * pages per player: the second must play segments from the first over WebRTC, with no stall.
 * One stack for the file; each player has its own stream, so no swarm carries over.
 */
const PLAYERS = ['vidstack', 'media-chrome', 'plyr', 'videojs'] as const;

let stack: Stack;
let browser: Browser;
let examples: Awaited<ReturnType<typeof serveExamples>>;
const viewers: Viewer[] = [];
const why = () => explain(viewers, stack);

beforeAll(async () => {
  stack = await startStack();
  for (const id of [...PLAYERS, 'mms'])
    await uploadClip(stack.origin, stack.dataDir.path, `players-${id}`, {
      durationSec: 20,
      width: 426,
      height: 240,
    });
  examples = await serveExamples();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await examples?.close();
  await stack?.stop();
});

const pageUrl = (player: string, id: string) =>
  `${examples.url}/${player}.html?origin=${encodeURIComponent(stack.origin.url)}&id=players-${id}`;

/** Two pages of one player: the second plays with peer bytes from the first; neither stalls. */
async function playTwo(player: string, id: string, init?: () => void) {
  const open = async () => {
    const viewer = await openViewer(browser, 'about:blank');
    // The first frame, on the page's own clock (ms since navigation start), seen from outside
    // the player: a capturing listener on the document sees every video's `playing`.
    await viewer.page.addInitScript(() => {
      const scope = window as unknown as { firstPlayingMs?: number };
      document.addEventListener('playing', () => (scope.firstPlayingMs ??= performance.now()), {
        capture: true,
      });
    });
    if (init) await viewer.page.addInitScript(init);
    await viewer.page.goto(pageUrl(player, id));
    viewers.push(viewer);
    return viewer;
  };
  const first = await open();
  await waitForViewer(
    first,
    `${player}: the first page playing 6 s in, on the tracker`,
    (s) => s.stats?.trackerConnected === true && s.playback.positionSec >= 6,
    { timeoutMs: 45_000, explain: why },
  );
  const second = await open();
  const later = await waitForViewer(
    second,
    `${player}: the second page playing 8 s in, with peer bytes`,
    (s) => s.playback.positionSec >= 8 && (s.stats?.p2pBytes ?? 0) > 0,
    { timeoutMs: 45_000, explain: why },
  );
  const earlier = await waitForViewer(first, 'the first page', () => true, {
    timeoutMs: 5_000,
    explain: why,
  });
  const [a, b] = [earlier.stats!, later.stats!];
  console.log(
    `${player}: second page ${b.p2pBytes} B from peers, ${b.httpBytes} B from the CDN ` +
      `(offload ${(b.offloadRatio * 100).toFixed(1)}%); first uploaded ${a.uploadedBytes} B`,
  );
  expect(b.p2pBytes).toBeGreaterThan(0);
  expect(a.uploadedBytes).toBeGreaterThanOrEqual(b.p2pBytes);
  expect(later.segments.some((seg) => seg.source !== 'http')).toBe(true);
  expect(b.integrityFailures + a.integrityFailures).toBe(0);
  expect(b.stalls).toBe(0);
  expect(a.stalls).toBe(0);
  // Every example page plays as it loads: its start-up figure counts from navigation start
  // (as the reference page's and the benchmark's), not from when its script attached hls.js.
  for (const viewer of [first, second]) {
    const startup = await viewer.page.evaluate(() => ({
      firstPlayingMs: (window as unknown as { firstPlayingMs?: number }).firstPlayingMs ?? null,
      startupMs: (window.coral as unknown as { stats: { startupMs: number | null } }).stats
        .startupMs,
    }));
    console.log(`${player}: start-up ${JSON.stringify(startup)}`);
    expect(startup.firstPlayingMs).not.toBeNull();
    expect(startup.startupMs).not.toBeNull();
    expect(Math.abs(startup.startupMs! - startup.firstPlayingMs!)).toBeLessThanOrEqual(20);
  }
  // The playback mode each page chose, and whether hls.js attached through a <source> child
  // (its ManagedMediaSource path) rather than setting the element's src.
  const modes = await Promise.all(
    [first, second].map((v) =>
      v.page.evaluate(() => ({
        mode: window.coral.mode,
        sourceChild: document.querySelector('video > source[src^="blob:"]') !== null,
      })),
    ),
  );
  for (const viewer of [first, second]) await viewer.context.close();
  return modes;
}

declare global {
  interface Window {
    coral: { mode: string | null };
  }
}

describe('Coral in other players, in real Chromium', () => {
  for (const player of PLAYERS)
    it(`${player}: the second page plays peer bytes from the first, no stall`, async () => {
      expect((await playTwo(player, player)).map((m) => m.mode)).toEqual(['mse', 'mse']);
    });

  it("hls.js's ManagedMediaSource path (MediaSource offered as ManagedMediaSource) plays with P2P", async () => {
    // Chromium has no ManagedMediaSource: expose its MediaSource under that name, and hide
    // MediaSource itself, as on an iPhone. hls.js then takes its MMS path (a <source> child,
    // remote playback off); what WebKit's MMS does differently (streaming events, memory
    // pressure) cannot be exercised here.
    const modes = await playTwo('plyr', 'mms', () => {
      const scope = window as unknown as Record<string, unknown>;
      scope.ManagedMediaSource = scope.MediaSource;
      delete scope.MediaSource;
    });
    expect(modes).toEqual([
      { mode: 'mms', sourceChild: true },
      { mode: 'mms', sourceChild: true },
    ]);
  });

  it('with neither MSE nor ManagedMediaSource a page says it cannot play, or plays natively', async () => {
    const viewer = await openViewer(browser, 'about:blank');
    viewers.push(viewer);
    await viewer.page.addInitScript(() => {
      const scope = window as unknown as Record<string, unknown>;
      delete scope.MediaSource;
      delete scope.ManagedMediaSource;
    });
    await viewer.page.goto(pageUrl('plyr', 'plyr'));
    const state = await settled(viewer);
    const nativeHls = await viewer.page.evaluate(
      () => document.createElement('video').canPlayType('application/vnd.apple.mpegurl') !== '',
    );
    console.log(`no MSE/MMS: native HLS ${nativeHls}, page state ${JSON.stringify(state)}`);
    if (nativeHls) {
      // Chromium plays HLS natively (recent versions do): the page must play, from the CDN.
      expect(state).toMatchObject({ mode: 'native', p2pEnabled: false, error: null });
      await waitForViewer(
        viewer,
        'the native page playing 3 s in',
        (s) => s.playback.positionSec >= 3,
        {
          timeoutMs: 30_000,
          explain: why,
        },
      );
    } else {
      expect(state.mode).toBe('none');
      expect(state.error).toMatch(/cannot play HLS: it has neither Media Source Extensions/);
    }
    expect(state.stats).toBeNull(); // no engine: no tracker, no peers
    await viewer.context.close();
  });
});

/** The page's state once it is ready or has given up. */
async function settled(viewer: Viewer) {
  type Settled = { mode: string; p2pEnabled: boolean; error: string | null; stats: unknown };
  const handle = await viewer.page.waitForFunction(() => {
    const coral = (window as unknown as { coral?: Settled & { ready: boolean } }).coral;
    if (!coral || !(coral.ready || coral.error)) return null;
    const { mode, p2pEnabled, error, stats } = coral;
    return { mode, p2pEnabled, error, stats };
  });
  return (await handle.jsonValue()) as Settled;
}
