import type { Scenario } from '../lib/scenario.js';
import { insideNetns, rerunInsideNetns } from '../swarm/netns.js';
import { parseSwarmOptions, SWARM_FLAGS_HELP, SwarmOptionsError } from '../swarm/options.js';
import { poolSwarmResults, SwarmPoolError } from '../swarm/pool.js';
import { runSwarmBench } from '../swarm/swarm-bench.js';

/**
 * Swarm offload and QoE: LIVE (joins 2 s apart, one 240p rendition) and VOD (joins
 * 10 s apart), with N Chromium pages and larger N with werift peers (`coral-peer`), each run
 * with P2P and CDN-only in the same invocation. Offload is measured over a steady window after
 * the last viewer joined and plays, and over the whole run; the CDN's own byte counter (the
 * edge's /stats) is reported beside the viewers' counters. Everything runs inside a private
 * network namespace (coral-netns): the scenario re-runs itself there.
 * Flags (see SWARM_FLAGS_HELP): --quick, --browsers 6, --peers 24, --window-sec 30, ...;
 * `--pool a,b` runs nothing and pools earlier invocations' result files instead.
 */
const scenario: Scenario = {
  name: 'swarm',
  description:
    'P2P offload, CDN bytes, startup, stalls, CPU: LIVE and VOD, browsers and werift peers, vs CDN-only',
  async run(args) {
    const { list: _list, help, ...flags } = args;
    if (help === 'true') {
      process.stdout.write(`${SWARM_FLAGS_HELP}\n`);
      return;
    }
    // Checked before anything starts (and before re-running in the namespace).
    let options;
    try {
      options = parseSwarmOptions(flags);
    } catch (error) {
      if (!(error instanceof SwarmOptionsError)) throw error;
      process.stderr.write(`swarm: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    if (options.pool.length > 0) {
      // Reads result files only: no browser, no network, so no namespace either.
      try {
        poolSwarmResults(options, (line) => process.stdout.write(`  ${line}\n`));
      } catch (error) {
        if (!(error instanceof SwarmPoolError)) throw error;
        process.stderr.write(`swarm --pool: ${error.message}\n`);
        process.exitCode = 2;
      }
      return;
    }
    if (!insideNetns()) {
      await rerunInsideNetns(flags);
      return;
    }
    const startedAtMs = performance.now();
    const outcome = await runSwarmBench(options, (line) => process.stdout.write(`  ${line}\n`));
    if (outcome.failures.length > 0) process.exitCode = 1;
    process.stdout.write(
      `\nswarm benchmark: ${outcome.results.length} runs (${outcome.failures.length} failed) in ${((performance.now() - startedAtMs) / 60_000).toFixed(1)} min\n`,
    );
  },
};

export default scenario;
