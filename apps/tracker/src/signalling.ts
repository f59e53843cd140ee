import { relayedSignal, type ClientSignalMessage } from '@coral-cdn/protocol';
import { addressGroup, type RoomId } from '@coral-cdn/tracker-core';
import type { TrackerContext } from './context.js';
import {
  remember,
  SERVED_GROUPS_LIMIT,
  type Membership,
  type PeerSession,
} from './peer-session.js';

/**
 * Relay one signalling message to its target: on this node directly, or published to the
 * target's node. The relay guard decides what passes; both sides remember each other, and
 * an answer that passes puts them in contact (their reports about each other count).
 */
export async function relaySignal(
  ctx: TrackerContext,
  session: PeerSession,
  message: ClientSignalMessage,
): Promise<void> {
  const receivedAtMs = ctx.now();
  const room = ctx.roomOf(session, message.swarmId);
  const membership = session.memberships.get(room);
  if (!membership) {
    const text = `not a member of swarm ${message.swarmId}`;
    return ctx.fail(session, 'not_joined', text, 'signal', { quiet: true });
  }
  // Only within the room: a peer of another protocol version counts as not in the swarm.
  const localTarget = ctx.sessions.get(message.to);
  let targetNode: string | null = null;
  let targetGroup: string | undefined = localTarget ? addressGroup(localTarget.ip) : undefined;
  if (!localTarget?.memberships.has(room)) {
    const record = await ctx.deps.store.getMember(room, message.to);
    if (record && record.nodeId !== ctx.deps.nodeId) targetNode = record.nodeId;
    targetGroup = record?.addressGroup;
    if (!targetNode) {
      return ctx.fail(
        session,
        'unknown_peer',
        `peer ${message.to} is not in swarm ${message.swarmId}`,
        'signal',
        { quiet: true },
      );
    }
  }
  const decision = ctx.relay.check(room, session.peerId, message.to, message.signal, ctx.now());
  if (!decision.ok) {
    return ctx.fail(session, decision.code, decision.message, 'signal', { quiet: true });
  }
  remember(membership.known, message.to);
  // An answer that passes completes an attempt the other side opened: they are in contact.
  if (message.signal.kind === 'answer') {
    remember(membership.contacts, message.to);
    if (targetGroup !== undefined) await noteServed(ctx, session, membership, room, targetGroup);
  }
  const outbound = relayedSignal(
    message.swarmId,
    session.peerId,
    message.signal,
    membership.record.uploadKbps,
  );
  if (targetNode === null) {
    ctx.deliverSignal(localTarget!, room, outbound, receivedAtMs, 'local');
    return;
  }
  await ctx.deps.store.publish({
    kind: 'deliver',
    toNode: targetNode,
    fromNode: ctx.deps.nodeId,
    toPeer: message.to,
    message: outbound,
    sentAtMs: receivedAtMs,
  });
}

/**
 * The member answered an offer from a peer of `group`: if that is another address block and
 * a new one, its verified upload grows; the store's record and the election follow.
 */
async function noteServed(
  ctx: TrackerContext,
  session: PeerSession,
  membership: Membership,
  room: RoomId,
  group: string,
): Promise<void> {
  const { served } = membership;
  if (group === addressGroup(session.ip) || served.has(group)) return;
  if (served.size >= SERVED_GROUPS_LIMIT) return;
  served.add(group);
  membership.record = { ...membership.record, servedGroups: served.size };
  await ctx.deps.store.updateMember(membership.record);
  if (membership.record.live) ctx.elections.schedule(room);
}
