import type { Browser } from 'playwright-core';

/** Runs in the page before its own scripts (`playing` does not bubble: capture it). */
const RECORD_FIRST_FRAME = `addEventListener('playing', () => {
  window.__firstFrameMs ??= performance.now();
}, true);`;

export interface FirstFrame {
  /** Navigation start → the video's first `playing` event, measured from outside the page. */
  ms: number;
  /** What the page itself reports (`window.coral.startupMs`), for Coral pages. */
  pageReportedMs: number | null;
}

/**
 * Open `url` in a fresh browser context (empty cache, as a new visitor) and measure its
 * start-up the same way for every page (they all play on load), or null when it did not play
 * within `timeoutMs`.
 */
export async function firstFrameMs(
  browser: Browser,
  url: string,
  timeoutMs: number,
): Promise<FirstFrame | null> {
  const context = await browser.newContext();
  try {
    await context.addInitScript(RECORD_FIRST_FRAME);
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'commit' });
    const handle = await page.waitForFunction('window.__firstFrameMs ?? null', undefined, {
      timeout: timeoutMs,
      polling: 50,
    });
    const ms = (await handle.jsonValue()) as number;
    const reported = await page.evaluate<number | null>('window.coral?.startupMs ?? null');
    return { ms, pageReportedMs: reported };
  } catch {
    return null;
  } finally {
    await context.close().catch(() => undefined);
  }
}
