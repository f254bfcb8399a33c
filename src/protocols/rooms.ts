/**
 * Rooms (topics): client i follows room i mod N, and event k is published to room (k−1) mod N,
 * so every room gets every N-th seq. Paths name the room with a {room} placeholder.
 */
export function roomOf(clientIndex: number, rooms: number): number {
  return rooms > 1 ? clientIndex % rooms : 0;
}

export function roomOfSeq(seq: number, rooms: number): number {
  return rooms > 1 ? (seq - 1) % rooms : 0;
}

export function roomName(room: number): string {
  return `room-${room}`;
}

/** Fills the {room} placeholder of a path (paths without one are returned as they are). */
export function withRoom(path: string, room: number): string {
  return path.includes('{room}') ? path.split('{room}').join(roomName(room)) : path;
}
