import { readdirSync, readFileSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  descendantPids,
  launchChromium,
  openViewer,
  userPriorityLauncher,
} from '@coral-cdn/test-support';

/**
 * The browsers of the e2e suite and the benchmark share the machine with the services they load
 * from. As root, Chromium raises its display-critical threads to nice -8, which a viewer's
 * browser cannot, and they then starve the services (see `userPriorityLauncher`). These tests
 * read every thread's nice value from /proc.
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

  it('as root, a Chromium launched directly raises threads above nice 0 (what the wrapper stops)', async () => {
    if (process.getuid?.() !== 0) {
      // Not root: Chromium cannot raise them, and the wrapper is not used.
      expect(userPriorityLauncher()).toBeNull();
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
