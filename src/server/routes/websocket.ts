import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { inRoom, parseCursor, parseRoom, type LogEntry } from '../event-log.js';
import type { ServerContext } from '../context.js';
import { acceptEvent } from './publish.js';
import { frameText, sendPreframed } from '../ws-preframe.js';

/** WebSocket on /ws: each message is {"id":N,"data":<event>}; ?since=N resumes after N. */
export class WebSocketRoute {
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 });
  /** open sockets and the room each one follows */
  private readonly sockets = new Map<WebSocket, string>();

  constructor(private readonly ctx: ServerContext) {
    ctx.log.onAppend((e) => this.broadcast(e));
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    const cursor = parseCursor(url.searchParams.get('since'), this.ctx.log);
    const room = parseRoom(url);
    if (cursor === 'invalid' || room === null) {
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.sockets.set(ws, room);
      ws.on('close', () => this.sockets.delete(ws));
      ws.on('error', () => ws.terminate());
      // Bidirectional: a client's text message is published to its room, as in a chat.
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary) return;
        this.ctx.publishedVia.websocket++;
        void acceptEvent(this.ctx, data.toString('utf8'), room);
      });
      if (cursor !== null) for (const e of this.ctx.log.after(cursor, this.ctx.options.ringSize, room)) ws.send(e.wsFrame);
    });
  }

  /** The whole frame (header and payload) is built once per event and written to every client. */
  private broadcast(e: LogEntry): void {
    if (!this.sockets.size) return;
    const framed = frameText(e.wsFrame);
    for (const [ws, room] of this.sockets) if (ws.readyState === 1 && inRoom(e, room)) sendPreframed(ws, framed, e.wsFrame);
  }

  /** Bytes ws holds in its own send queue, on top of the socket buffer. */
  queued(): number {
    let sum = 0;
    for (const ws of this.sockets.keys()) sum += Math.max(0, ws.bufferedAmount - ((ws as unknown as { _socket?: { writableLength: number } })._socket?.writableLength ?? 0));
    return sum;
  }

  closeAll(): void {
    for (const ws of this.sockets.keys()) ws.terminate();
    this.sockets.clear();
    this.wss.close();
  }

  get open(): number {
    return this.sockets.size;
  }
}
