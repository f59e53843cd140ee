import { describe, expect, it } from 'vitest';
import { roomId, roomPeerProtocol, roomSwarmId, storedRoomId } from '../src/rooms.js';

describe('room ids', () => {
  it('keep version 1 as the bare swarm id and round-trip other versions', () => {
    expect(roomId('films/720p', 1)).toBe('films/720p');
    const room = roomId('films/720p', 2);
    expect(room).not.toBe('films/720p');
    expect(roomSwarmId(room)).toBe('films/720p');
    expect(roomPeerProtocol(room)).toBe(2);
    expect(roomSwarmId(storedRoomId('films/720p'))).toBe('films/720p');
    expect(roomPeerProtocol(storedRoomId('films/720p'))).toBe(1);
  });
});
