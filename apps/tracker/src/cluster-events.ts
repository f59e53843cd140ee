import type { ClusterEvent } from './store/types.js';
import type { TrackerContext } from './context.js';
import { applyBan } from './report-handler.js';

/** Handle what another tracker node published (signals to deliver, departures, bans, elections). */
export function handleClusterEvent(ctx: TrackerContext, event: ClusterEvent): void {
  switch (event.kind) {
    case 'deliver': {
      const target = ctx.sessions.get(event.toPeer);
      const message = event.message;
      // The sending node found the target in the sender's room, so the target's room is it.
      const room = target ? ctx.roomOf(target, message.swarmId) : null;
      if (!target || room === null || !target.memberships.has(room)) {
        void ctx.deps.store.publish({
          kind: 'undeliverable',
          toNode: event.fromNode,
          toPeer: message.from,
          swarmId: message.swarmId,
          missingPeer: event.toPeer,
        });
        return;
      }
      // The delivering node checks the relay rules too, so each side keeps the attempt.
      const decision = ctx.relay.check(room, message.from, event.toPeer, message.signal, ctx.now());
      if (!decision.ok) {
        ctx.log.debug('dropped relayed signal', { to: event.toPeer, reason: decision.message });
        return;
      }
      ctx.deliverSignal(target, room, message, event.sentAtMs, 'cluster');
      return;
    }
    case 'undeliverable': {
      const session = ctx.sessions.get(event.toPeer);
      if (session) {
        ctx.fail(
          session,
          'unknown_peer',
          `peer ${event.missingPeer} is not in swarm ${event.swarmId}`,
          'signal',
          { quiet: true },
        );
      }
      return;
    }
    case 'peer-gone':
      ctx.deliverGone(event.swarmId, event.peerId, event.reason);
      return;
    case 'ban':
      void applyBan(ctx, event.swarmId, event.viewerId).catch((error: unknown) =>
        ctx.log.error('applying a ban failed', { err: error }),
      );
      return;
    case 'election':
      ctx.elections.deliver(event.swarmId, event.election);
      return;
  }
}
