import { connectionTypeSchema, type ConnectionType } from '@coral-cdn/protocol';
import { Holdings } from '@coral-cdn/tracker-core';
import { z } from 'zod';
import type { RedisClient } from './redis-target.js';
import type { Candidate, ClusterEvent, ElectionState, MemberRecord } from './types.js';

const envelopeSchema = z.object({
  from: z.string(),
  event: z.looseObject({ kind: z.string() }),
});

/** A message on the cluster bus: the publishing node and its event; null when malformed. */
export function parseEnvelope(text: string): { from: string; event: ClusterEvent } | null {
  try {
    const parsed = envelopeSchema.safeParse(JSON.parse(text));
    return parsed.success
      ? (parsed.data as unknown as { from: string; event: ClusterEvent })
      : null;
  } catch (_error) {
    return null;
  }
}

/** Records come from tracker nodes; a structural check is enough (and cheap per candidate). */
export function parseRecord(text: string): MemberRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (_error) {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  const ok =
    typeof r.peerId === 'string' &&
    typeof r.swarmId === 'string' &&
    typeof r.nodeId === 'string' &&
    typeof r.viewerId === 'string' &&
    typeof r.region === 'string' &&
    typeof r.uploadKbps === 'number' &&
    typeof r.live === 'boolean' &&
    typeof r.joinedAtMs === 'number' &&
    (r.addressGroup === undefined || typeof r.addressGroup === 'string') &&
    (r.servedGroups === undefined || typeof r.servedGroups === 'number') &&
    (r.unreachable === undefined || typeof r.unreachable === 'boolean') &&
    connectionTypeSchema.options.includes(r.connectionType as ConnectionType);
  return ok ? (value as MemberRecord) : null;
}

export function parseElection(fields: Record<string, string>): ElectionState | null {
  const epoch = Number(fields.epoch);
  if (!Number.isInteger(epoch) || epoch <= 0) return null;
  let fetchers: string[] = [];
  try {
    const parsed: unknown = JSON.parse(fields.fetchers ?? '[]');
    if (Array.isArray(parsed)) fetchers = parsed.map(String);
  } catch (_error) {
    fetchers = [];
  }
  return { epoch, fetchers, perSegment: Math.max(1, Number(fields.perSegment) || 1) };
}

export async function quit(client: RedisClient): Promise<void> {
  try {
    if (client.status === 'ready') await client.quit();
    else client.disconnect();
  } catch (_error) {
    client.disconnect();
  }
}

/** Holdings as stored in Redis: `first-last` ranges, ascending, comma separated. */
export function encodeHoldings(holdings: Holdings | null): string {
  return holdings
    ? holdings
        .ranges()
        .map(([first, last]) => `${first}-${last}`)
        .join(',')
    : '';
}

/** The stored form back as Holdings; anything malformed is skipped (never throws). */
export function decodeHoldings(text: string | null | undefined): Holdings {
  const holdings = new Holdings();
  const ranges: Array<[number, number]> = [];
  for (const match of (text ?? '').matchAll(/(\d+)-(\d+)/g)) {
    ranges.push([Number(match[1]), Number(match[2])]);
  }
  holdings.addRanges(ranges);
  return holdings;
}

/** The leave script's reply: whether the peer was a member, and whether its room emptied. */
export function parseLeaveReply(reply: unknown): { removed: boolean; emptied: boolean } | null {
  if (!Array.isArray(reply) || reply.length !== 2) return null;
  return { removed: reply[0] === 1, emptied: reply[1] === 1 };
}

/** The sweep script's reply: whether the room emptied, then the removed peers with their node. */
export function parseSweepReply(
  reply: unknown,
): { emptied: boolean; removed: Array<{ peerId: string; nodeId: string }> } | null {
  if (!Array.isArray(reply) || reply.length < 1) return null;
  const removed: Array<{ peerId: string; nodeId: string }> = [];
  for (let i = 1; i + 1 < reply.length; i += 2) {
    removed.push({ peerId: String(reply[i]), nodeId: String(reply[i + 1]) });
  }
  return { emptied: reply[0] === 1, removed };
}

/**
 * The candidates script's reply ({ ids, records, flags per needed sequence }): each member
 * whose record parses, with the needed sequences it holds.
 */
export function decodeCandidates(reply: unknown[], need: readonly number[]): Candidate[] {
  if (reply.length < 2) return [];
  const [ids, records, ...flags] = reply as [unknown[], unknown[], ...unknown[][]];
  const result: Candidate[] = [];
  for (let i = 0; i < ids.length; i++) {
    const record = typeof records[i] === 'string' ? parseRecord(records[i] as string) : null;
    if (!record) continue;
    const held: number[] = [];
    need.forEach((sequence, n) => {
      if (flags[n]?.[i] === 1) held.push(sequence);
    });
    result.push({ record, held });
  }
  return result;
}

/**
 * A member's latest announced sequences (its LIST, newest first) that it still holds (its
 * ranges), each once, at most `count`; null when either reply is not what Redis sends.
 */
export function decodeRecent(list: unknown, ranges: unknown, count: number): number[] | null {
  if (!Array.isArray(list) || typeof ranges !== 'string') return null;
  const holdings = decodeHoldings(ranges);
  const recent: number[] = [];
  for (const sequence of list.map(Number)) {
    if (recent.length >= count) break;
    if (holdings.has(sequence) && !recent.includes(sequence)) recent.push(sequence);
  }
  return recent;
}
