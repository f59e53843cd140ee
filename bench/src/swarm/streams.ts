import { operatorHeaders, uploadClip, waitFor, type Stack } from '@coral-cdn/test-support';

export const RENDITION = '240p';

/** A live test-pattern channel on the origin; resolves once the edge's playlist has `segments`. */
export async function startLiveChannel(
  stack: Pick<Stack, 'origin' | 'edge'>,
  id: string,
  segments = 4,
): Promise<void> {
  const created = await fetch(`${stack.origin.url}/api/live`, {
    method: 'POST',
    headers: operatorHeaders({ 'content-type': 'application/json' }),
    body: JSON.stringify({ id, title: 'swarm benchmark', source: { type: 'testsrc' } }),
  });
  if (created.status !== 201)
    throw new Error(`creating live channel ${id}: ${created.status} ${await created.text()}`);
  await waitFor(
    `the live playlist of ${id} on the edge with ${segments} segments`,
    async () => {
      const response = await fetch(`${stack.edge.url}/live/${id}/${RENDITION}/index.m3u8`);
      return response.ok && ((await response.text()).match(/#EXTINF/g)?.length ?? 0) >= segments;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

/** URIs a media playlist references (segments and the EXT-X-MAP init segment). */
export function playlistUris(text: string): string[] {
  const uris: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#EXT-X-MAP:')) {
      const uri = /URI="([^"]+)"/.exec(line)?.[1];
      if (uri) uris.push(uri);
    } else if (!line.startsWith('#')) uris.push(line);
  }
  return uris;
}

/**
 * Package a test clip (real ffmpeg, 426x240) and pull every object of it through the edge once,
 * so that the first run (P2P or CDN-only) does not pay the edge's cold misses alone.
 */
export async function prepareVod(
  stack: Pick<Stack, 'origin' | 'edge'>,
  dir: string,
  id: string,
  clipSec: number,
): Promise<number> {
  await uploadClip(stack.origin, dir, id, { durationSec: clipSec, width: 426, height: 240 });
  const base = `${stack.edge.url}/vod/${id}/${RENDITION}/`;
  const playlist = await fetch(`${base}index.m3u8`);
  if (!playlist.ok) throw new Error(`VOD playlist on the edge: ${playlist.status}`);
  const uris = playlistUris(await playlist.text());
  let bytes = 0;
  for (const uri of [...uris, 'integrity.json']) {
    const response = await fetch(new URL(uri, base));
    if (!response.ok) throw new Error(`warming ${uri} on the edge: ${response.status}`);
    bytes += (await response.arrayBuffer()).byteLength;
  }
  await fetch(`${stack.edge.url}/vod/${id}/master.m3u8`).then((r) => r.arrayBuffer());
  return bytes;
}

/** The edge's counters: bytes it sent to clients (the real CDN bytes) and requests. */
export async function edgeCounters(
  edgeUrl: string,
): Promise<{ bytesServed: number; requests: number }> {
  const response = await fetch(`${edgeUrl}/stats`);
  if (!response.ok) throw new Error(`edge /stats: ${response.status}`);
  const stats = (await response.json()) as { requests: { bytesServed: number; requests: number } };
  return { bytesServed: stats.requests.bytesServed, requests: stats.requests.requests };
}
