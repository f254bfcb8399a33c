import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Server as EngineServer } from 'engine.io';
import { Server, type Socket } from 'socket.io';
import { countRejected, type ServerContext } from '../../server-core/context.js';
import { parseCursor, parseRoom, type LogEntry } from '../../server-core/event-log.js';
import { acceptEvent } from '../../server-core/publish.js';
import { checkToken } from '../../server-core/auth.js';
import { SOCKETIO_DEFAULT_EVENT, SOCKETIO_PUBLISH_EVENT } from './names.js';

/** engine.io's own default: how long after a ping without a pong the server gives a client up. */
const PING_TIMEOUT_MS = 20_000;
/** engine.io's default ping interval, used when --heartbeat is off. */
const PING_INTERVAL_MS = 25_000;

/** The room every socket without a room joins, so one broadcast reaches events published to no room. */
const EVERYONE = '';

/** The event as the other push routes frame it: {"id":N,"data":<event>}, parsed once per event. */
function message(e: LogEntry): { id: number; data: unknown } {
  return { id: e.id, data: JSON.parse(e.json) as unknown };
}

/**
 * Socket.IO on /socket.io/ (the `socket.io` package on an engine.io server the reference server
 * feeds its requests and upgrades): polling, WebSocket and the upgrade between them. Each event is
 * emitted as `event` with {"id":N,"data":<event>} to the Socket.IO room the client named (?room=);
 * the handshake's `auth` carries the token and the `since` cursor a reconnecting client resumes
 * from. A client's `publish` emit is published to its room and acknowledged with the event's id.
 * With --heartbeat, Socket.IO's own ping interval is the heartbeat.
 */
export class SocketIoRoute {
  private readonly engine: EngineServer;
  private readonly io: Server;

  constructor(private readonly ctx: ServerContext) {
    const { heartbeatMs, maxMessageBytes } = ctx.options;
    this.engine = new EngineServer({
      pingInterval: heartbeatMs > 0 ? heartbeatMs : PING_INTERVAL_MS,
      pingTimeout: PING_TIMEOUT_MS,
      maxHttpBufferSize: maxMessageBytes,
      perMessageDeflate: false,
      httpCompression: false,
    });
    this.io = new Server({ serveClient: false });
    this.io.bind(this.engine);
    this.io.use((socket, next) => {
      const auth = socket.handshake.auth as { token?: unknown };
      if (checkToken(typeof auth.token === 'string' ? auth.token : null, ctx.options.token) === 'ok') return next();
      ctx.counters.authRejected++;
      next(new Error('missing or wrong token'));
    });
    this.io.on('connection', (socket) => this.admit(socket));
    ctx.log.onAppend((e) => this.broadcast(e));
  }

  /** Socket.IO authenticates in its own handshake (`auth`) and polls with POSTs: see ProtocolRoute. */
  readonly ownHandshake = true;

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.engine.handleRequest(req, res);
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.engine.handleUpgrade(req, socket, head);
  }

  private admit(socket: Socket): void {
    const { query, auth } = socket.handshake;
    const room = parseRoom(new URL(`http://x/?room=${encodeURIComponent(String(query.room ?? ''))}`));
    const since = (auth as { since?: unknown }).since;
    const cursor = parseCursor(
      typeof since === 'number' || typeof since === 'string' ? String(since) : null,
      this.ctx.log,
    );
    if (cursor === 'invalid' || room === null) {
      countRejected(this.ctx.counters, cursor === 'invalid' ? 'bad-cursor' : 'bad-room');
      socket.disconnect(true);
      return;
    }
    void socket.join(room || EVERYONE);
    // Bidirectional: a client's publish emit goes to its room, acknowledged with the event's id.
    socket.on(SOCKETIO_PUBLISH_EVENT, (body: unknown, ack?: unknown) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body ?? null);
      void acceptEvent(this.ctx, text, room).then(
        (id) => typeof ack === 'function' && (ack as (r: unknown) => void)({ id }),
        () => typeof ack === 'function' && (ack as (r: unknown) => void)({ error: 'not accepted' }),
      );
    });
    if (cursor !== null)
      for (const e of this.ctx.log.after(cursor, this.ctx.options.ringSize, room))
        socket.emit(SOCKETIO_DEFAULT_EVENT, message(e));
  }

  /** One broadcast per event: Socket.IO encodes the packet once for every socket of the room. */
  private broadcast(e: LogEntry): void {
    if (!this.engine.clientsCount) return;
    const to = e.room ? this.io.to(e.room).to(EVERYONE) : this.io.to(EVERYONE);
    to.emit(SOCKETIO_DEFAULT_EVENT, message(e));
  }

  closeAll(): void {
    this.io.disconnectSockets(true);
    this.engine.close();
  }

  get open(): number {
    return this.engine.clientsCount;
  }
}
