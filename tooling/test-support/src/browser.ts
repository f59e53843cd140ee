import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Headless Chromium as a private network namespace wants it (docs/ARCHITECTURE.md): Debian's binary (never a
 * download), WebRTC allowed on loopback with camera/microphone granted (or Chromium filters
 * every host candidate out), every host name but 127.0.0.1 unresolvable, no background
 * networking, no throttling of pages that are not in front.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Chrome's address-bar popups, built as WebUI pages (Chromium 151 and later). Headless Chromium
 * renders two of them in a renderer of their own for every new window, so for every viewer's
 * context: 24 for 12 contexts here, about 1.2 CPU s each time in one trace, at the moment a
 * viewer joins. Nothing of ours shows them; Puppeteer turns them off by default too.
 */
export const DISABLED_CHROMIUM_FEATURES = ['WebUIOmniboxPopup', 'WebUIOmniboxAimPopup'];

export const CHROMIUM_ARGS = [
  '--allow-loopback-in-peer-connection',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--autoplay-policy=no-user-gesture-required',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
  // Merged with Playwright's own list by the launcher (CHROMIUM_LAUNCHER).
  `--disable-features=${DISABLED_CHROMIUM_FEATURES.join(',')}`,
];

export async function launchChromium(): Promise<Browser> {
  // Never a browser on the machine's real network: the run goes through coral-netns.
  if (process.env.CORAL_NETNS !== '1') {
    throw new Error(
      'browser tests run inside a private network namespace: `npm test -w e2e` ' +
        '(or `npx coral-netns npx vitest run` in e2e/)',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_LAUNCHER,
    headless: true,
    args: CHROMIUM_ARGS,
    env: { ...process.env, ...chromiumLauncherEnv() },
  });
}

/**
 * The script every browser of the tests and benchmarks starts through (bin/coral-chromium). It
 * joins repeated `--disable-features` and `--enable-features` switches into one each: Chromium
 * honours only the last, and Playwright passes its own list first, so a second list would
 * silently drop Playwright's. As root, it also drops CAP_SYS_NICE (chromiumLauncherEnv).
 */
export const CHROMIUM_LAUNCHER = fileURLToPath(new URL('../bin/coral-chromium', import.meta.url));

const SETPRIV_PATH = '/usr/bin/setpriv';

/**
 * The launcher's environment: the real binary and, as root, `CORAL_CHROMIUM_DROP_NICE=1`.
 * As root, Chromium raises its display-critical threads (compositor, media, IO, and WebRTC's
 * network thread) to nice -8; a viewer's browser, not root, cannot. Here the browsers share
 * 2 cores with the services they load from, and those threads then starved them: with 6 P2P
 * pages the origin's playback-info answer took up to 1.6 s, an idle probe process waited up to
 * 0.7 s for the CPU and first pages stalled (the swarm benchmark, LIVE with 6 browsers).
 * So, as root, the launcher starts Chromium without CAP_SYS_NICE (setpriv, from util-linux,
 * which Debian always has): every thread stays at nice 0, as on a desktop.
 */
export function chromiumLauncherEnv(uid = process.getuid?.()): Record<string, string> {
  const env: Record<string, string> = { CORAL_CHROMIUM_BINARY: CHROMIUM_PATH };
  if (uid !== 0) return env;
  if (!existsSync(SETPRIV_PATH))
    throw new Error(
      `${SETPRIV_PATH} not found: install util-linux (Chromium as root would otherwise raise ` +
        'its threads above the services it is tested against)',
    );
  return { ...env, CORAL_CHROMIUM_DROP_NICE: '1' };
}

/**
 * Each viewer page's size, CSS px. The test streams are 240p: at Playwright's default 1280×720,
 * Chromium's software compositor (the GPU process, SwiftShader here) upscales every video and
 * took about a third of the browsers' CPU on a 2-core machine (10.7 of 29 CPU s per 30 s with 6
 * pages, against 4.6 of 22 at this size). A real viewer composites on its own GPU; here that
 * work only starves the other pages.
 */
export const VIEWER_VIEWPORT = { width: 480, height: 360 };

export interface ViewerOptions {
  /** The page's size in CSS px (default `VIEWER_VIEWPORT`). */
  viewport?: { width: number; height: number };
}

/** One viewer: its own context (own cache, storage, peer id), camera/microphone granted. */
export async function openViewer(
  browser: Browser,
  url: string,
  options: ViewerOptions = {},
): Promise<Viewer> {
  const context = await browser.newContext({
    permissions: ['camera', 'microphone'],
    viewport: options.viewport ?? VIEWER_VIEWPORT,
  });
  const page = await context.newPage();
  const consoleLines: string[] = [];
  page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
  await page.goto(url);
  return { context, page, consoleLines };
}

export interface Viewer {
  context: BrowserContext;
  page: Page;
  consoleLines: string[];
}

/** What the e2e reads of `window.coral` (see apps/player/web/src/main.ts). */
export interface CoralSnapshot {
  ready: boolean;
  error: string | null;
  p2pEnabled: boolean;
  stats: {
    httpBytes: number;
    p2pBytes: number;
    uploadedBytes: number;
    segmentsFromHttp: number;
    segmentsFromP2p: number;
    segmentsMixed: number;
    integrityFailures: number;
    p2pDiscardedBytes: number;
    peers: number;
    /** Per open peer: the path's round trip as the WebRTC stack measured it. */
    peerDetails: Array<{ peerId: string; rttMs: number | null }>;
    trackerConnected: boolean;
    offloadRatio: number;
    stalls: number;
    stallMs: number;
    startupMs: number | null;
    p2pEnabled: boolean;
    /** LL-HLS parts by source (all CDN parts, engine-loaded or not; peer parts were checked). */
    partsFromHttp?: number;
    partHttpBytes?: number;
    partsFromP2p?: number;
    partP2pBytes?: number;
    /** The engine's own part counters (its part bytes are also in httpBytes / p2pBytes). */
    parts?: {
      fromHttp: number;
      fromP2p: number;
      httpBytes: number;
      p2pBytes: number;
      integrityFailures: number;
    };
  } | null;
  playback: {
    state: string;
    positionSec: number;
    bufferedAheadSec: number;
    rendition: string | null;
    /** Live: seconds behind the playlist's edge; null for VOD. */
    latencySec: number | null;
  };
  segments: Array<{
    rendition: string;
    sequence: number;
    source: 'http' | 'p2p' | 'mixed';
    /** Why the CDN was asked: null exactly when every byte came from peers. */
    cdnReason: string | null;
    fromStore: boolean;
    sizeBytes: number;
    sha256: string;
    /** ms since the Unix epoch when the engine handed it to hls.js. */
    deliveredAtMs: number;
    /** Media buffered ahead of the playhead then, s. */
    bufferedAheadSec: number | null;
    /** Live: the player's latency then, s; null for VOD. */
    latencySec: number | null;
  }>;
  logs: string[];
}

export async function readCoral(page: Page): Promise<CoralSnapshot> {
  return page.evaluate(() => {
    const coral = (globalThis as unknown as { coral?: Record<string, unknown> }).coral;
    if (!coral) throw new Error('window.coral is not there (yet)');
    return JSON.parse(
      JSON.stringify({
        ready: coral.ready,
        error: coral.error,
        p2pEnabled: coral.p2pEnabled,
        stats: coral.stats,
        playback: coral.playback,
        segments: coral.segments,
        logs: coral.logs,
      }),
    ) as never;
  });
}
