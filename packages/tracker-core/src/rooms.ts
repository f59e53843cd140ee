/**
 * A room is the part of a swarm whose members speak one binary peer protocol version: the
 * tracker matches peers, relays signalling and runs live elections within a room, so that two
 * player builds of a rolling upgrade are never introduced to each other (they could not
 * exchange a byte, and the older build would report the newer one as broken).
 *
 * Rooms are the keys of the store, of a node's member sets and of the elections. Clients
 * never see them: every message they get names the swarm.
 */

declare const roomBrand: unique symbol;

/** A room key (`roomId`): not interchangeable with the swarm id a client names. */
export type RoomId = string & { readonly [roomBrand]: true };

/** What a join without `peerProtocol` speaks: players from before the field was sent. */
export const DEFAULT_PEER_PROTOCOL = 1;

/** Not a character of a swarm id (`<streamId>/<rendition>` of [A-Za-z0-9_-]). */
const SEPARATOR = '@p';

/**
 * Version 1's room is the swarm id itself: the store keys of players and tracker nodes from
 * before rooms stay valid, so a tracker cluster can be upgraded node by node.
 */
export function roomId(swarmId: string, peerProtocol: number): RoomId {
  return (
    peerProtocol === DEFAULT_PEER_PROTOCOL ? swarmId : `${swarmId}${SEPARATOR}${peerProtocol}`
  ) as RoomId;
}

/**
 * A room key read back from where a tracker stored it (a store key, a cluster event): it was
 * made by `roomId`, so it is taken as one.
 */
export function storedRoomId(key: string): RoomId {
  return key as RoomId;
}

/** The swarm a room belongs to (what messages to clients name). */
export function roomSwarmId(room: RoomId): string {
  const at = room.indexOf(SEPARATOR);
  return at < 0 ? room : room.slice(0, at);
}

/** The peer protocol version of a room's members. */
export function roomPeerProtocol(room: RoomId): number {
  const at = room.indexOf(SEPARATOR);
  return at < 0 ? DEFAULT_PEER_PROTOCOL : Number(room.slice(at + SEPARATOR.length));
}
