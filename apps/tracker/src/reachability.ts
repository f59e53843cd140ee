import type { BeaconStats } from '@coral-cdn/protocol';
import { unreachableByBeacon, type RoomId } from '@coral-cdn/tracker-core';
import type { TrackerContext } from './context.js';
import type { Membership } from './peer-session.js';

/**
 * Follow what a member's beacon says of its reachability: a viewer whose peer connections all
 * failed is left out of the live election (its followers would wait for a copy that cannot
 * reach them), and comes back once one opens. The store's record and the election follow.
 */
export async function noteReachability(
  ctx: TrackerContext,
  membership: Membership,
  room: RoomId,
  stats: BeaconStats,
): Promise<void> {
  const unreachable = unreachableByBeacon(stats);
  if ((membership.record.unreachable ?? false) === unreachable) return;
  membership.record = { ...membership.record, unreachable };
  await ctx.deps.store.updateMember(membership.record);
  if (membership.record.live) ctx.elections.schedule(room);
}
