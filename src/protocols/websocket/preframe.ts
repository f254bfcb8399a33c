import type { Socket } from 'node:net';
import * as wsModule from 'ws';
import type WebSocket from 'ws';

type FrameFn = (
  data: Buffer,
  o: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean },
) => Buffer[];
// ws exports its frame encoder as Sender.frame (public in ws, missing from @types/ws).
const frame = (wsModule as unknown as { Sender: { frame: FrameFn } }).Sender.frame;

/** A final, unmasked text frame (what a server sends) as one Buffer: header and payload built once for every client. */
export function frameText(payload: Buffer): Buffer {
  const parts = frame(payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false });
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

interface WsInternals {
  _socket?: Socket;
  _sender?: { _queue?: unknown[]; _state?: number };
}

/**
 * Sends a frame built by frameText: one socket write per client instead of ws framing (and
 * allocating a header) for each. ws writes each frame to the socket in one go, so a whole frame
 * written here never splits one of its own; when ws has frames waiting in its own queue
 * (compression or a Blob being read) or an extension is active, ws.send keeps the order instead.
 */
export function sendPreframed(ws: WebSocket, framed: Buffer, payload: Buffer): void {
  const w = ws as unknown as WsInternals;
  const sender = w._sender;
  const socket = w._socket;
  if (
    !socket ||
    !sender ||
    sender._state !== 0 ||
    (sender._queue && sender._queue.length > 0) ||
    ws.extensions !== ''
  ) {
    ws.send(payload, { binary: false });
    return;
  }
  socket.write(framed);
}
