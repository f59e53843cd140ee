import type { Browser } from 'playwright-core';

/** Runs in the page before its own scripts (`playing` does not bubble: capture it). */
const RECORD_FIRST_FRAME = `addEventListener('playing', () => {
  window.__firstFrameMs ??= performance.now();
}, true);`;

/**
 * Open `url` in a fresh browser context (empty cache, as a new visitor) and return the ms from
 * navigation start to the video's first `playing` event, the same way for every page (the pages
 * autoplay), or null when it did not play within `timeoutMs`.
 */
export async function firstFrameMs(
  browser: Browser,
  url: string,
  timeoutMs: number,
): Promise<number | null> {
  const context = await browser.newContext();
  try {
    await context.addInitScript(RECORD_FIRST_FRAME);
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'commit' });
    const handle = await page.waitForFunction('window.__firstFrameMs ?? null', undefined, {
      timeout: timeoutMs,
      polling: 50,
    });
    return (await handle.jsonValue()) as number;
  } catch {
    return null;
  } finally {
    await context.close().catch(() => undefined);
  }
}
