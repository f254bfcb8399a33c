import WebSocket from 'ws';
import { withRoom } from '../rooms.js';
import { tlsTrustOptions } from '../tls-trust.js';
import type { DriverOptions, UpstreamChannel } from '../types.js';

/**
 * Publishing over WebSocket, as a chat client sends: one connection per room (opened on first
 * use), each event one text message. Accepted = written to the socket; the order per room is
 * the connection's order.
 */
export class WebSocketUpstream implements UpstreamChannel {
  private readonly sockets = new Map<number, Promise<WebSocket>>();

  constructor(private readonly options: DriverOptions) {}

  private open(room: number): Promise<WebSocket> {
    let ws = this.sockets.get(room);
    if (!ws) {
      const { target } = this.options;
      const url = target.baseUrl.replace(/^http/, 'ws') + withRoom(target.paths.websocket, room);
      ws = new Promise<WebSocket>((resolve, reject) => {
        const socket = new WebSocket(url, {
          perMessageDeflate: false,
          headers: target.headers,
          handshakeTimeout: 10_000,
          ...tlsTrustOptions(target.tls),
        });
        socket.once('open', () => resolve(socket));
        socket.once('error', reject);
        socket.on('error', () => {});
        socket.once('close', () => this.sockets.delete(room));
      });
      ws.catch(() => this.sockets.delete(room));
      this.sockets.set(room, ws);
    }
    return ws;
  }

  async send(room: number, body: string): Promise<string | null> {
    try {
      const ws = await this.open(room);
      if (ws.readyState !== WebSocket.OPEN) return 'ws-upstream-closed';
      return await new Promise<string | null>((resolve) =>
        ws.send(body, (err) => resolve(err ? 'ws-upstream-error' : null)),
      );
    } catch (e) {
      return `ws-upstream-${(e as NodeJS.ErrnoException).code?.toLowerCase() ?? 'failed'}`;
    }
  }

  async close(): Promise<void> {
    for (const ws of this.sockets.values())
      ws.then(
        (s) => s.close(1000),
        () => {},
      );
    this.sockets.clear();
  }
}
