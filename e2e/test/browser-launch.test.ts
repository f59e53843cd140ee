import { readdirSync, readFileSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  DISABLED_CHROMIUM_FEATURES,
  chromiumLauncherEnv,
  descendantPids,
  launchChromium,
  openViewer,
} from '@coral-cdn/test-support';

/**
 * The browsers of the e2e suite and the benchmark share the machine with the services they load
 * from. As root, Chromium raises its display-critical threads to nice -8, which a viewer's
 * browser cannot, and they then starve the services (see `chromiumLauncherEnv`); and headless
 * Chromium renders its address-bar popups for every new window (see
 * `DISABLED_CHROMIUM_FEATURES`). These tests read the processes from /proc and ask the browser.
 */

interface ThreadPriority {
  pid: number;
  thread: string;
  nice: number;
}

/** /proc/PID/stat's fields after the command name: state is the first, nice the 17th. */
function statFields(path: string): { name: string; fields: string[] } | null {
  try {
    const stat = readFileSync(path, 'utf8');
    return {
      name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      fields: stat.slice(stat.lastIndexOf(')') + 2).split(' '),
    };
  } catch {
    return null; // the process or thread ended while we read
  }
}

/** Each running Chromium process's arguments (the browser's, and its children's). */
function chromiumCommandLines(): string[][] {
  const lines: string[][] = [];
  for (const pid of descendantPids(process.pid)) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (args[0]?.includes('chrom')) lines.push(args);
    } catch {
      continue; // the process ended while we read
    }
  }
  return lines;
}

function chromiumThreads(): ThreadPriority[] {
  const threads: ThreadPriority[] = [];
  for (const pid of descendantPids(process.pid)) {
    let command: string;
    let tids: string[];
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // the process ended while we read
    }
    if (!command.includes('chrom')) continue;
    for (const tid of tids) {
      const stat = statFields(`/proc/${pid}/task/${tid}/stat`);
      if (stat) threads.push({ pid, thread: stat.name, nice: Number(stat.fields[16]) });
    }
  }
  return threads;
}

/** A page with a running animation, so that the renderer's compositor threads exist. */
const PAGE = 'data:text/html,<div style="animation:spin 1s infinite">coral</div>';

let browser: Browser | null = null;

afterEach(async () => {
  await browser?.close();
  browser = null;
});

describe("Chromium's thread priority in tests and benchmarks", () => {
  it('every thread of the browsers launchChromium starts stays at nice 0 or above', async () => {
    browser = await launchChromium();
    await openViewer(browser, PAGE);
    const threads = chromiumThreads();
    expect(new Set(threads.map((t) => t.pid)).size).toBeGreaterThanOrEqual(3);
    expect(threads.filter((t) => t.nice < 0)).toEqual([]);
  });

  it('as root, a Chromium launched directly raises threads above nice 0 (what the launcher stops)', async () => {
    if (process.getuid?.() !== 0) {
      // Not root: Chromium cannot raise them, and the launcher leaves CAP_SYS_NICE alone.
      expect(chromiumLauncherEnv().CORAL_CHROMIUM_DROP_NICE).toBeUndefined();
      return;
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    await openViewer(browser, PAGE);
    const raised = chromiumThreads().filter((t) => t.nice < 0);
    expect(raised.map((t) => t.thread)).toEqual(expect.arrayContaining(['Compositor']));
  });
});

describe("Chromium's features in tests and benchmarks", () => {
  it("renders no address-bar popup for new windows, and keeps Playwright's own feature list", async () => {
    browser = await launchChromium();
    const session = await browser.newBrowserCDPSession();
    let popups = 0;
    session.on('Target.targetCreated', ({ targetInfo }) => {
      if (targetInfo.type === 'browser_ui') popups++;
    });
    await session.send('Target.setDiscoverTargets', { discover: true });
    // A viewer per context, as the suite and the benchmark open them.
    await openViewer(browser, PAGE);
    await openViewer(browser, PAGE);
    const { targetInfos } = await session.send('Target.getTargets');
    expect(targetInfos.filter((t) => t.type === 'browser_ui')).toEqual([]);
    expect(popups).toBe(0);

    // One --disable-features switch (Chromium honours only the last): ours and Playwright's.
    const browserProcess = chromiumCommandLines().find(
      (args) => !args.some((arg) => arg.startsWith('--type=')),
    );
    const lists = (browserProcess ?? []).filter((arg) => arg.startsWith('--disable-features='));
    expect(lists).toHaveLength(1);
    const disabled = lists[0]!.slice('--disable-features='.length).split(',');
    expect(disabled).toEqual(expect.arrayContaining(DISABLED_CHROMIUM_FEATURES));
    expect(disabled.length).toBeGreaterThan(DISABLED_CHROMIUM_FEATURES.length);
  });

  it('Chromium honours only the last feature list (why the launcher merges them)', async () => {
    // Directly, with one more list after ours: ours is dropped and the popups come back.
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, '--disable-features=Translate'],
    });
    await openViewer(browser, PAGE);
    const session = await browser.newBrowserCDPSession();
    const { targetInfos } = await session.send('Target.getTargets');
    expect(targetInfos.filter((t) => t.type === 'browser_ui').length).toBeGreaterThan(0);
  });
});
