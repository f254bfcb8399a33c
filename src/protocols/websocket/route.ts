import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { inRoom, parseCursor, parseRoom, type LogEntry } from '../../server-core/event-log.js';
import { countRejected, type ServerContext } from '../../server-core/context.js';
import { acceptEvent } from '../../server-core/publish.js';
import { Outbox, type PushSink } from '../../server-core/backpressure.js';
import { checkToken, TOKEN_SUBPROTOCOL_PREFIX } from '../../server-core/auth.js';
import { frameText, sendPreframed } from './preframe.js';

/** How long a client that sent no token in the handshake has to send it as its first message. */
const FIRST_MESSAGE_TOKEN_MS = 5000;

type WsWithSocket = WebSocket & { _socket?: Duplex & { writableLength: number } };

// ws has no drain event of its own; its socket's is the moment the kernel took the buffer.
const frames = new WeakMap<Buffer, Buffer>();

/** The whole WebSocket frame of a payload, built on first use and shared by every client. */
function framedOnce(payload: Buffer): Buffer {
  let framed = frames.get(payload);
  if (!framed) frames.set(payload, (framed = frameText(payload)));
  return framed;
}

function wsSink(ws: WsWithSocket): PushSink {
  return {
    buffered: () => ws.bufferedAmount,
    // The same payload Buffer goes to every client: its frame is built once (framedOnce).
    write: (chunk) => sendPreframed(ws, framedOnce(chunk), chunk),
    // An empty ping: the client's pong is not awaited, the client is the one watching for silence.
    heartbeat: () => ws.ping(),
    onceDrained: (cb) => void ws._socket?.once('drain', cb),
    kill: () => ws.terminate(),
  };
}

/**
 * WebSocket on /ws: each message is {"id":N,"data":<event>}; ?since=N resumes after N; a client's
 * text message is published to its room. With a token, a browser (which cannot set headers on
 * the upgrade) offers it as the subprotocol `bearer.<token>` or sends {"token":"…"} first.
 */
export class WebSocketRoute {
  private readonly wss: WebSocketServer;
  /** open sockets: the room each one follows and the outbox its events pass through */
  private readonly sockets = new Map<WebSocket, { room: string; outbox: Outbox }>();

  /** admitted sockets in the middle of a fragmented message, and since when (see sweepFragments) */
  private readonly fragmentedSince = new Map<WebSocket, number>();
  private readonly fragmentSweep: NodeJS.Timeout;
  /** one timer for every socket of the route (none without heartbeats) */
  private readonly heartbeats: NodeJS.Timeout | null;

  constructor(private readonly ctx: ServerContext) {
    const every = Math.max(50, ctx.options.wsFragmentTimeoutMs / 2);
    this.fragmentSweep = setInterval(() => this.sweepFragments(), every).unref();
    const beat = ctx.options.heartbeatMs;
    this.heartbeats = beat > 0 ? setInterval(() => this.heartbeat(), beat).unref() : null;
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: ctx.options.maxMessageBytes,
      // Answer with a plain subprotocol when one is offered, so the token is not echoed back needlessly.
      handleProtocols: (offered) =>
        offered.has('rtbench')
          ? 'rtbench'
          : ([...offered].find((p) => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) ?? false),
    });
    ctx.log.onAppend((e) => this.broadcast(e));
  }

  /** `authenticated` false: the handshake carried no token, so the first message must. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, authenticated: boolean): void {
    const cursor = parseCursor(url.searchParams.get('since'), this.ctx.log);
    const room = parseRoom(url);
    if (cursor === 'invalid' || room === null) {
      countRejected(this.ctx.counters, cursor === 'invalid' ? 'bad-cursor' : 'bad-room');
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', (e: Error & { code?: string }) => {
        countRejected(
          this.ctx.counters,
          e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'message-too-large' : 'bad-frame',
        );
        ws.terminate();
      });
      if (authenticated) return this.admit(ws, cursor, room);
      const timer = setTimeout(() => this.refuse(ws), FIRST_MESSAGE_TOKEN_MS);
      ws.once('message', (data: Buffer) => {
        clearTimeout(timer);
        let token: unknown = null;
        try {
          token = (JSON.parse(data.toString()) as { token?: unknown })?.token;
        } catch {
          // not JSON: no token
        }
        if (checkToken(typeof token === 'string' ? token : null, this.ctx.options.token) === 'ok')
          this.admit(ws, cursor, room);
        else this.refuse(ws);
      });
      ws.once('close', () => clearTimeout(timer));
    });
  }

  private refuse(ws: WebSocket): void {
    this.ctx.counters.authRejected++;
    ws.close(1008, 'missing or wrong token');
  }

  private admit(ws: WebSocket, cursor: number | null, room: string): void {
    if (ws.readyState !== 1) return;
    const { backpressure, highWaterBytes } = this.ctx.options;
    const outbox = new Outbox(wsSink(ws), backpressure, highWaterBytes, this.ctx.counters);
    this.sockets.set(ws, { room, outbox });
    ws.on('close', () => {
      outbox.close();
      this.sockets.delete(ws);
      this.fragmentedSince.delete(ws);
    });
    // Bidirectional: a client's text message is published to its room, as in a chat (ws bounds
    // each message by maxPayload).
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      this.ctx.publishedVia.websocket++;
      void acceptEvent(this.ctx, data.toString('utf8'), room);
    });
    if (cursor !== null)
      for (const e of this.ctx.log.after(cursor, this.ctx.options.ringSize, room)) ws.send(e.wsFrame);
  }

  /**
   * A client that begins a message in fragments and never finishes it would hold its socket and
   * up to maxPayload of buffers for good: a message must be whole within wsFragmentTimeoutMs.
   * (ws keeps the opcode of an unfinished fragmented message in its receiver's `_fragmented`.)
   */
  private sweepFragments(): void {
    const now = Date.now();
    for (const ws of this.sockets.keys()) {
      const fragmented = (ws as unknown as { _receiver?: { _fragmented?: number } })._receiver?._fragmented;
      if (!fragmented) {
        this.fragmentedSince.delete(ws);
        continue;
      }
      const since = this.fragmentedSince.get(ws);
      if (since === undefined) this.fragmentedSince.set(ws, now);
      else if (now - since >= this.ctx.options.wsFragmentTimeoutMs) {
        this.fragmentedSince.delete(ws);
        countRejected(this.ctx.counters, 'fragment-timeout');
        ws.terminate();
      }
    }
  }

  /** Every event passes each client's outbox (backpressure policy); the frame itself is built once per event. */
  private broadcast(e: LogEntry): void {
    for (const [ws, { room, outbox }] of this.sockets)
      if (ws.readyState === 1 && inRoom(e, room)) outbox.push(e.wsFrame);
  }

  private heartbeat(): void {
    for (const [ws, { outbox }] of this.sockets) if (ws.readyState === 1) outbox.heartbeat();
  }

  /** Bytes ws holds in its own send queue and drop-oldest queues hold, on top of the socket buffers. */
  queued(): number {
    let sum = 0;
    for (const [ws, { outbox }] of this.sockets)
      sum += outbox.queuedBytes + Math.max(0, ws.bufferedAmount - ((ws as WsWithSocket)._socket?.writableLength ?? 0));
    return sum;
  }

  closeAll(): void {
    clearInterval(this.fragmentSweep);
    if (this.heartbeats) clearInterval(this.heartbeats);
    for (const ws of this.sockets.keys()) ws.terminate();
    this.sockets.clear();
    this.wss.close();
  }

  get open(): number {
    return this.sockets.size;
  }
}
