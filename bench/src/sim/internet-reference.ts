import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIVE_SYNC_SEGMENTS } from '@coral-cdn/protocol';
import { z } from 'zod';
import { resultsDir } from '../lib/results.js';
import { ReferenceError, storedReferenceDocuments } from './reference.js';

/**
 * Rounds of the internet benchmark (`npm run bench -- internet`), reduced to what the
 * simulator's `lab-internet-*` scenarios reproduce. Only the fields read here are checked, so
 * the benchmark's output may grow without breaking the reference.
 */

const fraction = z.number().min(0).max(1);

const entrySchema = z.object({
  scenario: z.enum(['live', 'vod']),
  viewers: z.number().int().min(1),
  /** Peer bytes / all segment bytes, P2P run. */
  offload: fraction,
  /** 1 − edge bytes with P2P / edge bytes CDN-only. Negative when P2P cost the CDN more. */
  cdnSaved: z.number().max(1),
  stallsP2p: z.number().int().min(0),
  stallsCdn: z.number().int().min(0),
  eligibleShare: fraction,
  eligibleShareByNat: fraction,
  /**
   * Segments the P2P run's viewers took from the CDN, by the engine's reason (`alone`,
   * `elected`, ...); absent in rounds kept before the reasons were.
   */
  cdnReasonsP2p: z.record(z.string(), z.number().int().min(0)).optional(),
});

const settingsSchema = z.object({
  /** Absent in rounds from before browser viewers (all werift). */
  viewerKind: z.string().optional(),
  viewers: z.number().int().min(2),
  seed: z.number().int().min(0),
  watchSec: z.number().min(1),
  vodJoinIntervalMs: z.number().int().min(0),
  liveJoinIntervalMs: z.number().int().min(0),
  /** LIVE viewers' distance from the live edge, segments; absent or null: the player's 3. */
  liveSyncSegments: z
    .number()
    .int()
    .min(LIVE_SYNC_SEGMENTS.min)
    .max(LIVE_SYNC_SEGMENTS.max)
    .nullish()
    .transform((value) => value ?? undefined),
});

const resultSchema = z.object({
  measuredAt: z.string(),
  commit: z.string().nullable().optional(),
  machine: z.object({ loadAverage1m: z.number() }).partial().optional(),
  figures: z.object({ settings: settingsSchema, entries: z.array(entrySchema).min(1) }),
});

const roundSchema = z.object({
  measuredAt: z.string(),
  commit: z.string().nullable(),
  /** Load average (1 min) when the round ended: the machine is shared. */
  loadAverage1m: z.number().nullable(),
  entries: z.array(entrySchema).min(1),
});

export const internetReferenceSchema = z.object({
  kind: z.literal('internet'),
  label: z.string(),
  source: z.string(),
  settings: settingsSchema,
  rounds: z.array(roundSchema).min(1),
});

export type InternetEntry = z.infer<typeof entrySchema>;
export type InternetRound = z.infer<typeof roundSchema>;
export type InternetSettings = z.infer<typeof settingsSchema>;
export type InternetReference = z.infer<typeof internetReferenceSchema>;

const issues = (error: z.ZodError) =>
  error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');

/** One internet benchmark result document (bench/results/internet.json) as a round (pure). */
export function roundFromInternetResult(document: unknown): {
  settings: InternetSettings;
  round: InternetRound;
} {
  const parsed = resultSchema.safeParse(document);
  if (!parsed.success)
    throw new ReferenceError(`not an internet benchmark result: ${issues(parsed.error)}`);
  const d = parsed.data;
  // The simulator models werift viewers (their player, their set-up): a browser round is
  // another comparison.
  const { viewerKind, ...settings } = d.figures.settings;
  if (viewerKind !== undefined && !viewerKind.startsWith('werift'))
    throw new ReferenceError(
      `a round of ${viewerKind} viewers: the simulator's reference is werift's`,
    );
  return {
    settings,
    round: {
      measuredAt: d.measuredAt,
      commit: d.commit ?? null,
      loadAverage1m: d.machine?.loadAverage1m ?? null,
      entries: d.figures.entries,
    },
  };
}

/** Rounds of one population and settings as a reference (pure); refuses mixed settings. */
export function internetReference(
  label: string,
  source: string,
  documents: readonly unknown[],
): InternetReference {
  const rounds = documents.map(roundFromInternetResult);
  const first = rounds[0];
  if (!first) throw new ReferenceError('an internet reference needs at least one round');
  for (const { settings } of rounds)
    if (JSON.stringify(settings) !== JSON.stringify(first.settings))
      throw new ReferenceError(
        `rounds of different settings: ${JSON.stringify(settings)} vs ${JSON.stringify(first.settings)}`,
      );
  return {
    kind: 'internet',
    label,
    source,
    settings: first.settings,
    rounds: rounds.map((r) => r.round),
  };
}

/** The scenarios a reference has rounds of (a reference may hold LIVE rounds only). */
export function internetScenarios(reference: InternetReference): Array<'live' | 'vod'> {
  return (['live', 'vod'] as const).filter((scenario) =>
    reference.rounds.some((round) => round.entries.some((e) => e.scenario === scenario)),
  );
}

/** A stored reference file's content, checked. */
export function parseInternetReference(content: unknown, where: string): InternetReference {
  const parsed = internetReferenceSchema.safeParse(content);
  if (!parsed.success) throw new ReferenceError(`${where}: ${issues(parsed.error)}`);
  return parsed.data;
}

/** A fresh internet benchmark result (bench/results/<name>.json) as a one-round reference. */
export function internetReferenceFromResult(name: string): InternetReference {
  const path = join(resultsDir, `${name}.json`);
  if (!existsSync(path)) throw new ReferenceError(`no internet benchmark result ${path}`);
  return internetReference(`results/${name}`, `bench/results/${name}.json`, [
    JSON.parse(readFileSync(path, 'utf8')) as unknown,
  ]);
}

/** The internet benchmark's reference files kept in bench/src/sim/reference. */
export function storedInternetReferences(): InternetReference[] {
  return storedReferenceDocuments()
    .filter(
      ({ content }) =>
        typeof content === 'object' &&
        content !== null &&
        'kind' in content &&
        content.kind === 'internet',
    )
    .map(({ file, content }) => parseInternetReference(content, file));
}
