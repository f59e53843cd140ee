import { launchChromium, spawnService, type RunningService } from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The player page in real headless Chromium (inside coral-netns): given its manifest (`?src=`)
 * and the viewer's P2P choice, hls.js asks for the manifest at once, not after the player's
 * /config.json (a round trip that a plain hls.js page does not make before its first request).
 */

const MEDIA = 'http://media.test';
const HOLD_MS = 3_000;

let player: RunningService;
let browser: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  player = await spawnService({ app: 'player', env: { ORIGIN_URL: 'http://127.0.0.1:9' } });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await player?.stop();
});

/** Open the page with /config.json held back; when was the manifest asked for? */
async function manifestWhileConfigHeld(query: string): Promise<{ beforeConfig: boolean }> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    let releaseConfig!: () => void;
    const configReleased = new Promise<void>((resolve) => (releaseConfig = resolve));
    let configAnswered = false;
    let manifestAsked: (beforeConfig: boolean) => void;
    const manifest = new Promise<boolean>((resolve) => (manifestAsked = resolve));
    await page.route('**/config.json', async (route) => {
      // Held until the manifest is asked for, or for HOLD_MS.
      await Promise.race([configReleased, new Promise((r) => setTimeout(r, HOLD_MS))]);
      configAnswered = true;
      await route.continue();
    });
    await page.route(`${MEDIA}/**`, async (route) => {
      if (route.request().url().endsWith('/master.m3u8')) {
        manifestAsked(!configAnswered);
        releaseConfig();
      }
      await route.fulfill({ status: 404, body: '' });
    });
    const src = encodeURIComponent(`${MEDIA}/live/demo/master.m3u8`);
    await page.goto(`${player.url}/?id=demo&src=${src}${query}`, { waitUntil: 'commit' });
    const beforeConfig = await Promise.race([
      manifest,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no manifest request')), HOLD_MS + 10_000),
      ),
    ]);
    return { beforeConfig };
  } finally {
    await context.close();
  }
}

describe('the player page’s first request', () => {
  it('asks for the manifest before /config.json answers (P2P on, as chosen in the URL)', async () => {
    expect(await manifestWhileConfigHeld('&p2p=1')).toEqual({ beforeConfig: true });
  });

  it('asks for the manifest before /config.json answers (P2P off)', async () => {
    expect(await manifestWhileConfigHeld('&p2p=0')).toEqual({ beforeConfig: true });
  });

  it('waits for the operator’s P2P default when the viewer made no choice', async () => {
    expect(await manifestWhileConfigHeld('')).toEqual({ beforeConfig: false });
  });
});
