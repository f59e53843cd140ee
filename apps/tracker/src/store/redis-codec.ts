import { connectionTypeSchema, type ConnectionType } from '@coral-cdn/protocol';
import { Holdings } from '@coral-cdn/tracker-core';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ClusterEvent, ElectionState, MemberRecord } from './types.js';

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

export async function quit(client: Redis): Promise<void> {
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
