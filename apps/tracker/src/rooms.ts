/**
 * A room is the part of a swarm whose members speak one binary peer protocol version: the
 * tracker matches peers, relays signals and runs live elections within a room, so that two
 * player builds of a rolling upgrade are never introduced to each other (they could not
 * exchange a byte, and the older build would report the newer one as broken).
 *
 * Rooms are the keys of the store, of this node's member sets and of the elections. Clients
 * never see them: every message they get names the swarm.
 */

/** What a join without `peerProtocol` speaks: players from before the field was sent. */
export const DEFAULT_PEER_PROTOCOL = 1;

/** Not a character of a swarm id (`<streamId>/<rendition>` of [A-Za-z0-9_-]). */
const SEPARATOR = '@p';

/**
 * Version 1's room is the swarm id itself: the store keys of players and tracker nodes from
 * before rooms stay valid, so a tracker cluster can be upgraded node by node.
 */
export function roomId(swarmId: string, peerProtocol: number): string {
  return peerProtocol === DEFAULT_PEER_PROTOCOL ? swarmId : `${swarmId}${SEPARATOR}${peerProtocol}`;
}

/** The swarm a room belongs to (what messages to clients name). */
export function roomSwarmId(room: string): string {
  const at = room.indexOf(SEPARATOR);
  return at < 0 ? room : room.slice(0, at);
}

/** The peer protocol version of a room's members. */
export function roomPeerProtocol(room: string): number {
  const at = room.indexOf(SEPARATOR);
  return at < 0 ? DEFAULT_PEER_PROTOCOL : Number(room.slice(at + SEPARATOR.length));
}
