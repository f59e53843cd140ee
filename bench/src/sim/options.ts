import { SCENARIOS, UPLINK_MIXES } from '@coral-cdn/swarm-sim';

export const SIM_FLAGS_HELP = [
  '--sizes N,N,...       audience sizes of the sweep (default 25,100,400)',
  '--scenario NAME       sweep scenario (default live-flash-crowd)',
  '--uplinks MIX         residential | dsl-heavy | lab (default residential)',
  '--duration-sec S      simulated seconds per sweep point (default 120)',
  '--reference NAME      also validate against bench/results/NAME.json (a swarm benchmark run)',
  '--internet-reference NAME  also validate against bench/results/NAME.json (an internet benchmark run)',
  '--byte-scales K,K     byte scales the validation runs at (default 1,64)',
  '--skip-validation     no validation table',
  '--skip-sweep          no sweep (and no charts)',
  '--out NAME            results name in bench/results (default sim)',
].join('\n');

export class SimOptionsError extends Error {
  override readonly name = 'SimOptionsError';
}

export interface SimBenchOptions {
  readonly sizes: number[];
  readonly scenario: string;
  readonly uplinks: string;
  readonly durationSec: number;
  readonly reference: string | null;
  readonly internetReference: string | null;
  readonly byteScales: number[];
  readonly validation: boolean;
  readonly sweep: boolean;
  readonly out: string;
}

function integers(name: string, raw: string, min: number, max: number): number[] {
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < min || v > max))
    throw new SimOptionsError(`--${name} takes whole numbers in ${min}..${max}, got "${raw}"`);
  return values;
}

/** Flags (as run.ts hands them: lower-case, '_' for '-') to options; throws naming the flag. */
export function parseSimOptions(flags: Readonly<Record<string, string>>): SimBenchOptions {
  const known = new Set([
    'sizes',
    'scenario',
    'uplinks',
    'duration_sec',
    'reference',
    'internet_reference',
    'byte_scales',
    'skip_validation',
    'skip_sweep',
    'out',
  ]);
  for (const key of Object.keys(flags))
    if (!known.has(key))
      throw new SimOptionsError(
        `unknown flag --${key.replace(/_/g, '-')}; the sim benchmark takes:\n${SIM_FLAGS_HELP}`,
      );
  const scenario = flags.scenario ?? 'live-flash-crowd';
  if (!SCENARIOS.some((s) => s.name === scenario))
    throw new SimOptionsError(
      `--scenario must be one of ${SCENARIOS.map((s) => s.name).join(', ')}, got "${scenario}"`,
    );
  const uplinks = flags.uplinks ?? 'residential';
  if (!(uplinks in UPLINK_MIXES))
    throw new SimOptionsError(
      `--uplinks must be one of ${Object.keys(UPLINK_MIXES).join(', ')}, got "${uplinks}"`,
    );
  const out = flags.out ?? 'sim';
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(out))
    throw new SimOptionsError(`--out takes a file name of [a-z0-9-], got "${out}"`);
  const reference = flags.reference ?? null;
  if (reference !== null && !/^[a-z0-9][a-z0-9-]{0,63}$/.test(reference))
    throw new SimOptionsError(`--reference takes a file name of [a-z0-9-], got "${reference}"`);
  const internetReference = flags.internet_reference ?? null;
  if (internetReference !== null && !/^[a-z0-9][a-z0-9-]{0,63}$/.test(internetReference))
    throw new SimOptionsError(
      `--internet-reference takes a file name of [a-z0-9-], got "${internetReference}"`,
    );
  return {
    sizes: integers('sizes', flags.sizes ?? '25,100,400', 2, 1_000_000),
    scenario,
    uplinks,
    durationSec: integers('duration-sec', flags.duration_sec ?? '120', 10, 86_400)[0]!,
    reference,
    internetReference,
    byteScales: integers('byte-scales', flags.byte_scales ?? '1,64', 1, 1024),
    validation: flags.skip_validation !== 'true',
    sweep: flags.skip_sweep !== 'true',
    out,
  };
}
