import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_LAUNCHER, chromiumLauncherEnv } from '@coral-cdn/test-support';
import type { Lab } from './lab.js';

/** Starts its arguments in the namespace `$CORAL_NETLAB_NETNS` (Playwright takes one path). */
const IN_NETNS = fileURLToPath(new URL('../bin/in-netns', import.meta.url));

export interface HomeBrowserOptions {
  /**
   * Origins served over plain http that the page must treat as secure (WebCrypto, which the
   * engine's integrity checks need, exists only in secure contexts). The lab's services are on
   * a public address, not localhost.
   */
  secureOrigins?: string[];
}

/**
 * Headless Chromium in a home: the tests' flags and launcher (see test-support), in the home's
 * namespace, so its only way out is the home's NAT router. Closed by `browser.close()`; a crash
 * leaves nothing outside the lab, whose teardown kills it.
 */
export async function launchChromiumInHome(
  lab: Lab,
  index: number,
  options: HomeBrowserOptions = {},
): Promise<Browser> {
  const secure = options.secureOrigins ?? [];
  return chromium.launch({
    executablePath: IN_NETNS,
    headless: true,
    args: [
      // Every name stays unresolvable, but the lab's public addresses must pass: the tests'
      // rule maps IP literals too (ERR_NAME_NOT_RESOLVED for the services otherwise).
      ...CHROMIUM_ARGS.filter((arg) => !arg.startsWith('--host-resolver-rules=')),
      `--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE ${lab.addresses.publicPrefix}.*`,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-dev-shm-usage',
      ...(secure.length ? [`--unsafely-treat-insecure-origin-as-secure=${secure.join(',')}`] : []),
    ],
    env: {
      ...process.env,
      ...chromiumLauncherEnv(),
      CORAL_NETLAB_NETNS: lab.home(index).hostNs,
      CORAL_NETLAB_COMMAND: CHROMIUM_LAUNCHER,
    },
  });
}
