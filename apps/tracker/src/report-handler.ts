import type { ReportMessage } from '@coral-cdn/protocol';
import {
  addressGroup,
  banThreshold,
  judgeReport,
  ReportLimiter,
  roomSwarmId,
} from '@coral-cdn/tracker-core';
import type { TrackerContext } from './context.js';
import { rememberReported, type PeerSession } from './peer-session.js';

/**
 * Reports and bans. A report always keeps the reported peer out of the reporter's answers;
 * an integrity report counts towards a ban only when the reporter is worth hearing: it
 * exchanged signalling with the peer through this tracker (judgeReport), it has been in the
 * swarm a while, and its viewer, address and address block are within their report limits.
 * Distinct reporters are counted by address block, so free tokens from one network count
 * once; the threshold grows with the swarm. A ban covers one swarm (every peer protocol
 * version of it) for BAN_MS.
 */
export class ReportHandler {
  private readonly limiter: ReportLimiter;

  constructor(private readonly ctx: TrackerContext) {
    const { config } = ctx.deps;
    this.limiter = new ReportLimiter({
      perViewer: config.REPORTS_PER_VIEWER,
      perAddress: config.REPORTS_PER_ADDRESS,
      perGroup: config.REPORTS_PER_ADDRESS_GROUP,
      windowMs: config.REPORT_WINDOW_MS,
    });
  }

  async onReport(session: PeerSession, message: ReportMessage): Promise<void> {
    const { ctx } = this;
    const { config, store, metrics } = ctx.deps;
    const room = ctx.roomOf(session, message.swarmId);
    const membership = session.memberships.get(room);
    if (!membership) {
      return ctx.fail(session, 'not_joined', `not a member of swarm ${message.swarmId}`, 'report', {
        quiet: true,
      });
    }
    const target =
      message.reason === 'integrity' && message.peerId !== session.peerId
        ? await store.getMember(room, message.peerId)
        : null;
    const nowMs = ctx.now();
    const verdict = judgeReport(
      {
        reporterPeerId: session.peerId,
        reporterViewerId: session.viewerId,
        targetPeerId: message.peerId,
        targetViewerId: target?.viewerId ?? null,
        reason: message.reason,
        relayed: membership.contacts.has(message.peerId),
        reporterJoinedAtMs: membership.record.joinedAtMs,
        nowMs,
      },
      { minReporterTenureMs: config.REPORT_MIN_TENURE_MS, requireRelayed: true },
    );
    if (verdict.exclude) rememberReported(membership, message.peerId);
    if (verdict.why !== 'counted' && verdict.why !== 'self' && verdict.why !== 'not-integrity') {
      metrics.reportsIgnored.inc({ reason: verdict.why });
    }
    if (!verdict.count || !target || session.viewerId === null) return;
    const group = addressGroup(session.ip);
    if (!this.limiter.take({ viewer: session.viewerId, address: session.ip, group }, nowMs)) {
      metrics.reportsIgnored.inc({ reason: 'limited' });
      return;
    }
    const swarmId = message.swarmId;
    const [reporters, roomSize] = await Promise.all([
      store.addReport(swarmId, target.viewerId, group, config.REPORT_WINDOW_MS),
      store.memberCount(room),
    ]);
    const threshold = banThreshold(
      { minReporters: config.REPORT_BAN_THRESHOLD, roomShare: config.REPORT_BAN_SHARE },
      roomSize,
    );
    ctx.log.warn('integrity report', {
      reporter: session.peerId,
      target: target.peerId,
      swarmId: room,
      sequence: message.sequence,
      distinctReporters: reporters,
      threshold,
    });
    if (reporters < threshold) return;
    await store.ban(swarmId, target.viewerId, config.BAN_MS);
    metrics.bans.inc();
    ctx.log.warn('viewer banned from swarm', {
      viewerId: target.viewerId,
      swarmId,
      peerId: target.peerId,
      distinctReporters: reporters,
      banMs: config.BAN_MS,
    });
    if (target.nodeId !== ctx.deps.nodeId) {
      // Out of the shared matching at once; its own node drops its connections' memberships.
      if (await store.leave(target.swarmId, target.peerId)) {
        await ctx.announceGone(target.swarmId, target.peerId, 'banned');
        ctx.elections.schedule(target.swarmId);
      }
    }
    await applyBan(ctx, swarmId, target.viewerId);
    await store.publish({ kind: 'ban', swarmId, viewerId: target.viewerId });
  }

  /** Forget report counts past their window. */
  sweep(nowMs: number): void {
    this.limiter.sweep(nowMs);
  }
}

/** Drop this node's memberships of a banned viewer in the swarm (every peer protocol room). */
export async function applyBan(
  ctx: TrackerContext,
  swarmId: string,
  viewerId: string,
): Promise<void> {
  const work: Promise<void>[] = [];
  for (const session of ctx.sessions.values()) {
    if (session.viewerId !== viewerId) continue;
    for (const room of session.memberships.keys()) {
      if (roomSwarmId(room) !== swarmId) continue;
      session.send({
        type: 'error',
        code: 'banned',
        message: `banned from swarm ${swarmId} after integrity reports`,
        ref: 'report',
      });
      ctx.deps.metrics.errors.inc({ code: 'banned' });
      work.push(ctx.removeMembership(session, room, 'banned'));
    }
  }
  await Promise.all(work);
}
