import { stopOnSignals, type Logger } from '@coral-cdn/server-kit';
import type { CliOptions } from './cli-args.js';
import { PeerFleet, type FleetReport } from './fleet.js';

type FinishReason = 'completed' | 'duration' | 'signal';

const COMPLETION_CHECK_MS = 250;

function writeLine(record: object): Promise<void> {
  return new Promise((resolve) =>
    process.stdout.write(`${JSON.stringify(record)}\n`, () => resolve()),
  );
}

/**
 * The CLI's run: a fleet of peers, a stats line every `statsIntervalMs`, a summary line at the
 * end (completion, --duration-sec, or SIGINT/SIGTERM). Resolves with the exit code: 0, or 1
 * when no peer could start.
 */
export async function runFleetCli(options: CliOptions, logger: Logger): Promise<number> {
  const fleet = new PeerFleet({
    count: options.count,
    joinIntervalMs: options.joinIntervalMs,
    peerOptions: (index) => ({
      source: {
        originUrl: options.originUrl,
        streamId: options.streamId,
        ...(options.region !== undefined ? { region: options.region } : {}),
      },
      mode: options.mode,
      ...(options.rendition !== undefined ? { rendition: options.rendition } : {}),
      ...(options.uploadKbps !== undefined ? { uploadKbps: options.uploadKbps } : {}),
      ...(options.region !== undefined ? { region: options.region } : {}),
      engine: {
        p2pEnabled: options.p2p,
        ...(options.segmentMemoryMiB !== undefined
          ? { segmentMemoryBytes: options.segmentMemoryMiB * 1024 * 1024 }
          : {}),
      },
      player: {
        ...(options.bufferSec !== undefined ? { bufferTargetSec: options.bufferSec } : {}),
        ...(options.liveSyncSegments !== undefined
          ? { liveSyncSegments: options.liveSyncSegments }
          : {}),
      },
      platform: {
        log: (level, message, fields) => logger[level](message, { peer: index, ...fields }),
      },
    }),
    onPeerError: (index, error) =>
      logger.error('peer failed to start', { peer: index, err: error }),
  });

  let finish!: (reason: FinishReason) => void;
  const finished = new Promise<FinishReason>((resolve) => (finish = resolve));
  const timers: NodeJS.Timeout[] = [];
  if (options.statsIntervalMs > 0) {
    timers.push(
      setInterval(
        () => void writeLine({ type: 'stats', ...fleet.report() }),
        options.statsIntervalMs,
      ),
    );
  }
  timers.push(
    setInterval(() => {
      if (fleet.finished) finish('completed');
    }, COMPLETION_CHECK_MS),
  );
  if (options.durationSec !== undefined) {
    timers.push(setTimeout(() => finish('duration'), options.durationSec * 1000));
  }
  let summary: Promise<number> | null = null;
  const stop = (reason: FinishReason): Promise<number> => {
    summary ??= (async () => {
      for (const timer of timers) clearTimeout(timer);
      const report: FleetReport = fleet.report();
      fleet.destroy();
      await writeLine({ type: 'summary', reason, ...report });
      const started = report.peers.filter((peer) => peer.state !== 'failed').length;
      return started === 0 ? 1 : 0;
    })();
    return summary;
  };
  stopOnSignals({ logger, stop: async () => void (await stop('signal')) });
  void fleet.start();
  return stop(await finished);
}
