import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Headless Chromium as e2e/ launches it (DESIGN.md's namespace recipe 1): Debian's binary,
 * WebRTC on loopback with camera/microphone granted, no name but 127.0.0.1 resolvable, no
 * background networking or throttling. Only ever inside coral-netns.
 */
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
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
];

export async function launchChromium(): Promise<Browser> {
  if (process.env.CORAL_NETNS !== '1') {
    throw new Error('the container test runs inside coral-netns: `npm test -w infra`');
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

export interface Viewer {
  page: Page;
  consoleLines: string[];
  close(): Promise<void>;
}

export async function openViewer(browser: Browser, url: string): Promise<Viewer> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  const consoleLines: string[] = [];
  page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
  await page.goto(url);
  return { page, consoleLines, close: () => context.close() };
}

/** What the test reads of the player's `window.coral`. */
export interface PlayerState {
  ready: boolean;
  error: string | null;
  positionSec: number;
  state: string;
  httpBytes: number;
  p2pBytes: number;
  trackerConnected: boolean;
  stalls: number;
}

export function readPlayer(page: Page): Promise<PlayerState> {
  return page.evaluate(() => {
    const coral = (window as unknown as { coral?: Record<string, unknown> }).coral;
    const stats = (coral?.stats ?? {}) as Record<string, unknown>;
    const playback = (coral?.playback ?? {}) as Record<string, unknown>;
    return {
      ready: Boolean(coral?.ready),
      error: (coral?.error as string | null | undefined) ?? null,
      positionSec: Number(playback.positionSec ?? 0),
      state: typeof playback.state === 'string' ? playback.state : '',
      httpBytes: Number(stats.httpBytes ?? 0),
      p2pBytes: Number(stats.p2pBytes ?? 0),
      trackerConnected: Boolean(stats.trackerConnected),
      stalls: Number(stats.stalls ?? 0),
    };
  });
}
