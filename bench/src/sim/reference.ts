import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@coral-cdn/test-support';
import { resultsDir } from '../lib/results.js';

/** One run of the werift/browser swarm benchmark, reduced to what the simulator reproduces. */
export interface ReferenceRun {
  readonly scenario: 'live' | 'vod';
  readonly kind: string;
  readonly viewers: number;
  readonly joinIntervalMs: number;
  readonly bitrateBitsPerSec: number;
  readonly windowSec: number;
  readonly windowOffload: number;
  readonly wholeOffload: number;
  readonly windowStalls: number;
  readonly wholeStalls: number;
  readonly startupMsMedian: number | null;
}

export interface ReferenceFile {
  /** Short name for tables. */
  readonly label: string;
  /** The command (or file) the figures came from. */
  readonly source: string;
  readonly measuredAt: string;
  readonly runs: readonly ReferenceRun[];
}

export class ReferenceError extends Error {
  override readonly name = 'ReferenceError';
}

/** Figures of the swarm benchmark kept in the repository (measured on the 2-core machine). */
export const referenceDir = join(repoRoot, 'bench', 'src', 'sim', 'reference');

interface SwarmRunFigures {
  scenario: 'live' | 'vod';
  kind: string;
  viewers: number;
  joinIntervalMs: number;
  delivery: string;
  window: {
    durationSec: number;
    offload: number;
    stalls: number;
    p2pBytes: number;
    cdnBytesViewers: number;
  };
  whole: { offload: number; stalls: number };
  startupMsMedian?: number | null;
}

/** Reduce a swarm benchmark result file (bench/results/<name>.json) to reference runs. */
export function referenceFromSwarmResult(name: string): ReferenceFile {
  const path = join(resultsDir, `${name}.json`);
  if (!existsSync(path)) throw new ReferenceError(`no swarm benchmark result ${path}`);
  const document = JSON.parse(readFileSync(path, 'utf8')) as {
    measuredAt: string;
    figures: { runs: SwarmRunFigures[] };
  };
  const runs = document.figures.runs
    .filter((run) => run.delivery === 'p2p')
    .map((run) => ({
      scenario: run.scenario,
      kind: run.kind,
      viewers: run.viewers,
      joinIntervalMs: run.joinIntervalMs,
      // What each viewer played per second in the window: the rendition's real bitrate.
      bitrateBitsPerSec: Math.round(
        ((run.window.p2pBytes + run.window.cdnBytesViewers) * 8) /
          run.window.durationSec /
          run.viewers,
      ),
      windowSec: run.window.durationSec,
      windowOffload: run.window.offload,
      wholeOffload: run.whole.offload,
      windowStalls: run.window.stalls,
      wholeStalls: run.whole.stalls,
      startupMsMedian: run.startupMsMedian ?? null,
    }));
  return {
    label: `results/${name}`,
    source: `bench/results/${name}.json`,
    measuredAt: document.measuredAt,
    runs,
  };
}

/** Every reference file kept in the repository, parsed, of any kind. */
export function storedReferenceDocuments(): Array<{ file: string; content: unknown }> {
  if (!existsSync(referenceDir)) return [];
  return readdirSync(referenceDir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      content: JSON.parse(readFileSync(join(referenceDir, file), 'utf8')) as unknown,
    }));
}

const isInternet = (content: unknown): boolean =>
  typeof content === 'object' &&
  content !== null &&
  'kind' in content &&
  content.kind === 'internet';

/** The swarm benchmark's reference files kept in the repository. */
export function storedReferences(): ReferenceFile[] {
  return storedReferenceDocuments()
    .filter(({ content }) => !isInternet(content))
    .map(({ content }) => content as ReferenceFile);
}
