import type { NodePeer } from '@coral-cdn/node-peer';
import {
  operatorHeaders,
  readCoral,
  waitFor,
  type Stack,
  type Viewer,
} from '@coral-cdn/test-support';
import type { PeerProcess } from './node-peers.js';

/**
 * One view over a swarm that mixes browser pages, in-process NodePeers and `coral-peer`
 * processes: every member's figures read the same way, so that a test can compare two samples
 * (bytes by source, stalls, playhead) over a window and print them when it fails.
 */
export interface MemberFigures {
  name: string;
  kind: 'browser' | 'werift';
  /** `playing`, `running`, … or `gone` once the member has left. */
  state: string;
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  stalls: number;
  stallMs: number;
  peers: number;
  integrityFailures: number;
  p2pDiscardedBytes: number;
  trackerConnected: boolean;
  /** Seconds of media played (browser: the video's currentTime; werift: playedSec). */
  playedSec: number;
  startupMs: number | null;
}

export interface Member {
  readonly name: string;
  /** One row per viewer (a `coral-peer` process holds several). */
  read(): Promise<MemberFigures[]>;
}

export function browserMember(name: string, viewer: Viewer): Member {
  return {
    name,
    read: async () => {
      const snapshot = await readCoral(viewer.page);
      const stats = snapshot.stats;
      return [
        {
          name,
          kind: 'browser',
          state: snapshot.error ? `error: ${snapshot.error}` : snapshot.playback.state,
          httpBytes: stats?.httpBytes ?? 0,
          p2pBytes: stats?.p2pBytes ?? 0,
          uploadedBytes: stats?.uploadedBytes ?? 0,
          stalls: stats?.stalls ?? 0,
          stallMs: stats?.stallMs ?? 0,
          peers: stats?.peers ?? 0,
          integrityFailures: stats?.integrityFailures ?? 0,
          p2pDiscardedBytes: stats?.p2pDiscardedBytes ?? 0,
          trackerConnected: stats?.trackerConnected ?? false,
          playedSec: snapshot.playback.positionSec,
          startupMs: stats?.startupMs ?? null,
        },
      ];
    },
  };
}

export function nodePeerMember(name: string, peer: NodePeer): Member {
  return {
    name,
    read: () => {
      const stats = peer.stats();
      const engine = stats.engine;
      return Promise.resolve([
        {
          name,
          kind: 'werift',
          state: stats.error ? `${stats.state}: ${stats.error}` : stats.state,
          httpBytes: engine?.httpBytes ?? 0,
          p2pBytes: engine?.p2pBytes ?? 0,
          uploadedBytes: engine?.uploadedBytes ?? 0,
          stalls: stats.player?.stalls ?? 0,
          stallMs: stats.player?.stallMs ?? 0,
          peers: engine?.peers ?? 0,
          integrityFailures: engine?.integrityFailures ?? 0,
          p2pDiscardedBytes: engine?.p2pDiscardedBytes ?? 0,
          trackerConnected: engine?.trackerConnected ?? false,
          playedSec: stats.player?.playedSec ?? 0,
          startupMs: stats.player?.startupMs ?? null,
        },
      ]);
    },
  };
}

/** Each peer of a `coral-peer` process, as `<name>#<index>`, from its latest stats line. */
export function processMember(name: string, peers: PeerProcess): Member {
  return {
    name,
    read: () =>
      Promise.resolve(
        (peers.latest?.peers ?? []).map((peer) => ({
          name: `${name}#${peer.index}`,
          kind: 'werift' as const,
          state: peer.error ? `${peer.state}: ${peer.error}` : peer.state,
          httpBytes: peer.engine?.httpBytes ?? 0,
          p2pBytes: peer.engine?.p2pBytes ?? 0,
          uploadedBytes: peer.engine?.uploadedBytes ?? 0,
          stalls: peer.player?.stalls ?? 0,
          stallMs: peer.player?.stallMs ?? 0,
          peers: peer.engine?.peers ?? 0,
          integrityFailures: peer.engine?.integrityFailures ?? 0,
          p2pDiscardedBytes: peer.engine?.p2pDiscardedBytes ?? 0,
          trackerConnected: peer.engine?.trackerConnected ?? false,
          playedSec: peer.player?.playedSec ?? 0,
          startupMs: peer.player?.startupMs ?? null,
        })),
      ),
  };
}

export interface Sample {
  atMs: number;
  rows: MemberFigures[];
}

export async function sample(members: readonly Member[]): Promise<Sample> {
  const rows = (await Promise.all(members.map((member) => member.read()))).flat();
  return { atMs: Date.now(), rows };
}

/** What changed between two samples, per viewer present in both (counters subtracted). */
export function windowOf(before: Sample, after: Sample): Sample {
  const earlier = new Map(before.rows.map((row) => [row.name, row]));
  const rows: MemberFigures[] = [];
  for (const row of after.rows) {
    const start = earlier.get(row.name);
    if (!start) continue;
    rows.push({
      ...row,
      httpBytes: row.httpBytes - start.httpBytes,
      p2pBytes: row.p2pBytes - start.p2pBytes,
      uploadedBytes: row.uploadedBytes - start.uploadedBytes,
      stalls: row.stalls - start.stalls,
      stallMs: row.stallMs - start.stallMs,
      integrityFailures: row.integrityFailures - start.integrityFailures,
      p2pDiscardedBytes: row.p2pDiscardedBytes - start.p2pDiscardedBytes,
      playedSec: +(row.playedSec - start.playedSec).toFixed(1),
    });
  }
  return { atMs: after.atMs - before.atMs, rows };
}

export function totals(rows: readonly MemberFigures[]): {
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  offloadRatio: number;
} {
  const httpBytes = rows.reduce((sum, row) => sum + row.httpBytes, 0);
  const p2pBytes = rows.reduce((sum, row) => sum + row.p2pBytes, 0);
  const uploadedBytes = rows.reduce((sum, row) => sum + row.uploadedBytes, 0);
  const all = httpBytes + p2pBytes;
  return { httpBytes, p2pBytes, uploadedBytes, offloadRatio: all === 0 ? 0 : p2pBytes / all };
}

/** A table of bytes by source per viewer, for the log and for failure messages. */
export function formatFigures(title: string, rows: readonly MemberFigures[]): string {
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)}`;
  const lines = rows.map((row) => {
    const all = row.httpBytes + row.p2pBytes;
    const offload = all === 0 ? '-' : `${((row.p2pBytes / all) * 100).toFixed(0)}%`;
    return [
      row.name.padEnd(12),
      row.state.slice(0, 24).padEnd(10),
      kib(row.httpBytes).padStart(7),
      kib(row.p2pBytes).padStart(7),
      offload.padStart(5),
      kib(row.uploadedBytes).padStart(7),
      String(row.peers).padStart(3),
      `${row.stalls}/${Math.round(row.stallMs)}`.padStart(8),
      row.playedSec.toFixed(1).padStart(6),
      String(row.integrityFailures).padStart(3),
      kib(row.p2pDiscardedBytes).padStart(6),
    ].join(' ');
  });
  const sum = totals(rows);
  return [
    `--- ${title}`,
    'viewer       state         http KiB p2p KiB  off  up KiB  pr stalls/ms played bad disc',
    ...lines,
    `total: http ${kib(sum.httpBytes)} KiB, p2p ${kib(sum.p2pBytes)} KiB, uploaded ` +
      `${kib(sum.uploadedBytes)} KiB, offload ${(sum.offloadRatio * 100).toFixed(1)}%`,
  ].join('\n');
}

/**
 * Create a live test-pattern channel (LL-HLS with `lowLatency`) and wait until its playlist on
 * the edge has `segments`.
 */
export async function startLiveChannel(
  stack: Stack,
  id: string,
  rendition = '240p',
  segments = 4,
  lowLatency = false,
): Promise<void> {
  const created = await fetch(`${stack.origin.url}/api/live`, {
    method: 'POST',
    headers: operatorHeaders({ 'content-type': 'application/json' }),
    body: JSON.stringify({
      id,
      title: `e2e ${id}`,
      source: { type: 'testsrc' },
      ...(lowLatency ? { lowLatency: true } : {}),
    }),
  });
  if (created.status !== 201)
    throw new Error(`live channel: ${created.status} ${await created.text()}`);
  // hls.js starts 3 segments behind the live edge (LL: a few parts): wait until the window has a few.
  await waitFor(
    `the live playlist on the edge with ${segments} segments`,
    async () => {
      const response = await fetch(`${stack.edge.url}/live/${id}/${rendition}/index.m3u8`);
      return response.ok && ((await response.text()).match(/#EXTINF/g)?.length ?? 0) >= segments;
    },
    { timeoutMs: 40_000, intervalMs: 300 },
  );
}
