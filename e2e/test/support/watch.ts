import type { Browser } from 'playwright-core';
import {
  openViewer,
  waitFor,
  readCoral,
  type CoralSnapshot,
  type Viewer,
  type Stack,
} from '@coral-cdn/test-support';

/** Everything that helps explain a failure: each page's state, console, engine logs, services. */
export async function explain(
  viewers: readonly Viewer[],
  stack: Pick<Stack, 'logs'>,
): Promise<string> {
  const parts: string[] = [];
  for (const [index, viewer] of viewers.entries()) {
    const snapshot = await readCoral(viewer.page).catch((error: unknown) => String(error));
    parts.push(
      `=== viewer ${index + 1}\n${JSON.stringify(snapshot, null, 1).slice(0, 6000)}\n` +
        `console:\n${viewer.consoleLines.slice(-40).join('\n')}`,
    );
  }
  parts.push(stack.logs());
  return parts.join('\n');
}

/** Poll a page's `window.coral` until `done`; a page error or a timeout fails with `explain`. */
export async function waitForViewer(
  viewer: Viewer,
  what: string,
  done: (snapshot: CoralSnapshot) => boolean,
  options: { timeoutMs: number; explain: () => Promise<string> },
): Promise<CoralSnapshot> {
  try {
    return await waitFor(
      what,
      async () => {
        const snapshot = await readCoral(viewer.page);
        if (snapshot.error) throw new Error(`page error: ${snapshot.error}`);
        return done(snapshot) ? snapshot : null;
      },
      { timeoutMs: options.timeoutMs, intervalMs: 250 },
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n${await options.explain()}`);
  }
}

/**
 * Open `count` viewers of a live `url` (each added to `into` as it opens, so the caller closes
 * them) and wait until every one plays with a live latency.
 */
export async function openPlayingLiveViewers(
  browser: Browser,
  url: string,
  count: number,
  into: Viewer[],
  explainFailure: () => Promise<string>,
): Promise<void> {
  const opened: Viewer[] = [];
  for (let i = 0; i < count; i++) {
    const viewer = await openViewer(browser, url);
    into.push(viewer);
    opened.push(viewer);
  }
  await Promise.all(
    opened.map((viewer, index) =>
      waitForViewer(
        viewer,
        `viewer ${index + 1} playing the live stream`,
        (s) => s.playback.state === 'playing' && s.playback.latencySec !== null,
        { timeoutMs: 30_000, explain: explainFailure },
      ),
    ),
  );
}
