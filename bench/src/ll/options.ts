import { z } from 'zod';
import { intFlag } from '../lib/flags.js';

/** The ll benchmark's modes: which channel, P2P on or off. */
export const MODES = {
  p2p: { label: 'LL, P2P', channelId: 'bench-ll', p2p: true, ll: true },
  cdn: { label: 'LL, CDN only', channelId: 'bench-ll', p2p: false, ll: true },
  classic: { label: 'classic live, P2P', channelId: 'bench-live', p2p: true, ll: false },
} as const;
export type Mode = keyof typeof MODES;

/** `npm run bench -- ll` flags (see scenarios/ll.ts). */
export const llFlags = z.object({
  viewers: intFlag(1, 32, 6),
  window: intFlag(5, 600, 30),
  part: z.coerce.number().min(0.1).max(2).default(0.5),
  modes: z
    .string()
    .default('p2p,cdn,classic')
    .transform((value) => value.split(',').map((mode) => mode.trim()))
    .pipe(z.array(z.enum(Object.keys(MODES) as [Mode, ...Mode[]])).min(1)),
  rounds: intFlag(1, 10, 1),
});
