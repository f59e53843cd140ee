import type { Scenario } from '../lib/scenario.js';
import { writeResults } from '../lib/results.js';
import { INTERNET_FLAGS_HELP, parseInternetOptions } from '../internet/options.js';
import { BITRATE_MBIT, runInternetBench } from '../internet/run-internet.js';
import { NAT_MIX, UPLINK_MIX, RTT_RANGE_MS, LOSS_RANGE } from '../internet/population.js';
import { insideNetns, rerunInsideNetns } from '../swarm/netns.js';

/**
 * Coral on an emulated internet: N viewers (werift node peers, or headless Chromium on the
 * reference player with `--viewer-kind chromium`) in N homes of the network lab,
 * behind cone, symmetric or UDP-blocked NATs, with residential uplinks, 20–150 ms RTT and
 * 1–2% loss; VOD and LIVE, each run with P2P and CDN-only on the same lab. It needs root and
 * re-runs itself inside a private network namespace (coral-netns).
 */
const scenario: Scenario = {
  name: 'internet',
  description:
    'P2P on an emulated internet (NATs, uplinks, RTT, loss): CDN saved vs the bound, stalls, start-up vs CDN-only',
  async run(args) {
    const { help, ...flags } = args;
    if (help === 'true') {
      process.stdout.write(`${INTERNET_FLAGS_HELP}\n`);
      return;
    }
    // A bad flag is a FlagError (exit 2, naming it), before the namespace re-run.
    const options = parseInternetOptions(flags);
    if (!insideNetns()) {
      // The log folder resolved here, where npm was run: the re-run may start elsewhere.
      await rerunInsideNetns(
        options.logDir === null ? flags : { ...flags, log_dir: options.logDir },
        'internet',
      );
      return;
    }
    const startedAtMs = performance.now();
    const print = (line: string) => process.stdout.write(`  ${line}\n`);
    const { entries, population } = await runInternetBench(options, print);
    const path = writeResults('internet', {
      settings: {
        ...options,
        bitrateMbit: BITRATE_MBIT,
        natMix: NAT_MIX,
        uplinkMix: UPLINK_MIX,
        rttRangeMs: RTT_RANGE_MS,
        lossRange: LOSS_RANGE,
        viewerKind:
          options.viewerKind === 'chromium'
            ? 'chromium (headless, reference player), one browser per home'
            : 'werift (coral-peer), one process per home',
      },
      population,
      entries: entries.map(({ report: _report, ...entry }) => entry),
    });
    process.stdout.write(
      `\ninternet benchmark: ${entries.length} scenarios in ${((performance.now() - startedAtMs) / 60_000).toFixed(1)} min; ${path}\n`,
    );
  },
};

export default scenario;
