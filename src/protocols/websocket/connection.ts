/**
 * One WebSocket connection on a bare socket: the handshake (handshake.ts), the server's frames
 * (frame-reader.ts), and the only frames a listening client ever sends, pong and close, masked
 * with random keys as RFC 6455 §5.3 asks of a client.
 */
import { randomFillSync } from 'node:crypto';
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { errorKind } from '../errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES, FrameReader, type FrameErrorKind, type FrameSink } from './frame-reader.js';
import { Handshake, parseWsUrl } from './handshake.js';
import { tlsTrustOptions } from '../tls-trust.js';
import type { WireCounter } from '../wire.js';

/** What a connection reports to; the client implements it, so a connection holds no closures. */
export interface WsConnectionOwner {
  /** the handshake succeeded: messages may follow */
  wsOpen(): void;
  /** one whole message; `data` may be a view of a shared read buffer: use it now, never keep it */
  wsMessage(data: Buffer, binary: boolean): void;
  /** the connection is over, for good; `kind` says why, or is null for a clean or ordinary end */
  wsEnd(kind: string | null): void;
  /** the server pinged (a heartbeat); `bytes`: the whole ping frame */
  wsPing?(bytes: number): void;
}

export interface WsConnectOptions {
  /** extra request headers (e.g. authorization); the handshake's own win */
  headers: Record<string, string>;
  /** the whole handshake, connect included, must be done within this, or the connection ends with `timeout` */
  timeoutMs: number;
  localAddress?: string;
  /** the largest message reassembled (default 16 MiB); larger ends the connection with ws-message-too-big */
  maxMessageBytes?: number;
  /** TLS only: certificate authorities to trust instead of the system's */
  ca?: string | Buffer;
  /** TLS only: accept any server certificate (--insecure) */
  insecure?: boolean;
  /** counts the connection's bytes on the wire: the TCP socket's, so TLS records and handshake are included */
  wire?: WireCounter;
}

/**
 * Every plain socket reads into this one buffer (net's `onread`): a read is parsed before the
 * next one starts and nothing keeps a view of it, so no idle connection holds read memory and no
 * read allocates. TLS sockets cannot read into a buffer of ours and emit `data` instead.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** After our close frame, how long the server has to close the TCP connection (it closes first, §7.1.1). */
const CLOSE_WAIT_MS = 5000;

/** Pongs are skipped while this much is still waiting to be sent: the server is not reading. */
const PONG_BACKLOG_BYTES = 16 * 1024;

const OP_CLOSE = 0x8;
const OP_PONG = 0xa;

/** The connection a socket belongs to, on the socket itself: the handlers are shared, not per connection. */
const CONNECTION = Symbol('rtbench.ws.connection');
type OwnedSocket = Socket & { [CONNECTION]: WsConnection };

/**
 * A plain socket with a slot for its connection. A property added to a net.Socket after it was
 * built moves the socket's properties to a new, larger out-of-object store (about 200 B a socket,
 * measured); a field of the socket's own class is one in-object slot.
 */
class ConnectionSocket extends net.Socket {
  [CONNECTION]: WsConnection | null = null;
}

function onRead(this: Socket, n: number, buf: Buffer): boolean {
  (this as OwnedSocket)[CONNECTION].read(buf.subarray(0, n));
  return true;
}

function onData(this: Socket, chunk: Buffer): void {
  (this as OwnedSocket)[CONNECTION].read(chunk);
}

function onError(this: Socket, err: Error): void {
  (this as OwnedSocket)[CONNECTION].failed(err);
}

function onEnd(this: Socket): void {
  (this as OwnedSocket)[CONNECTION].closed();
}

function handshakeTimedOut(connection: WsConnection): void {
  connection.timedOut();
}

function destroySocket(socket: Socket): void {
  socket.destroy();
}

/** A close code the results name (`ws-close-<code>`), or null for the ordinary ones. */
export function closeKind(code: number): string | null {
  return code === 1000 || code === 1001 || code === 1005 || code === 1006 ? null : `ws-close-${code}`;
}

/** A masked control frame (FIN set, payload at most 125 bytes): what a client sends. */
export function maskedControlFrame(opcode: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(6 + payload.length);
  frame[0] = 0x80 | opcode;
  frame[1] = 0x80 | payload.length;
  randomFillSync(frame, 2, 4);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i] ^ frame[2 + (i & 3)];
  return frame;
}

export class WsConnection implements FrameSink {
  /** null once the connection ended or was released: from then on nothing is reported */
  private owner: WsConnectionOwner | null;
  /** until the answer's head is read */
  private handshake: Handshake | null;
  /**
   * The handshake's deadline. A timer, not socket.setTimeout: that one keeps its cleared Timeout
   * (and a bound function) on the socket for the connection's whole life, about 150 B each.
   */
  private timer: NodeJS.Timeout | null;
  private readonly reader: FrameReader;

  private constructor(
    readonly socket: Socket,
    owner: WsConnectionOwner,
    handshake: Handshake,
    timeoutMs: number,
    maxMessageBytes: number,
  ) {
    this.owner = owner;
    this.handshake = handshake;
    // Extra arguments instead of a closure: one shared callback for every connection.
    this.timer = setTimeout(handshakeTimedOut, timeoutMs, this);
    this.reader = new FrameReader(this, maxMessageBytes);
  }

  /** Starts connecting to `url` (ws:, wss:, http: or https:); a URL that names no WebSocket is `bad-url`. */
  static open(url: string, owner: WsConnectionOwner, o: WsConnectOptions): WsConnection | 'bad-url' {
    const target = parseWsUrl(url);
    if (target === 'bad-url') return target;
    const where = { host: target.host, port: target.port, ...(o.localAddress ? { localAddress: o.localAddress } : {}) };
    const how = {
      // As `ws` does for its frames; a pong should not wait for an ACK of the last write.
      noDelay: true,
      // A server that vanished without a FIN is found out eventually, instead of never.
      keepAlive: true,
      keepAliveInitialDelay: 60_000,
    };
    let socket: Socket;
    if (target.secure) {
      // TLS over a TCP socket of our own: that socket's byte counts are the encrypted bytes on the
      // wire (a TLSSocket's own count the plaintext, and none of the handshake).
      const tcp = net.connect({ ...where, ...how });
      o.wire?.track(tcp);
      const servername = net.isIP(target.host) ? undefined : target.host;
      const trust = tlsTrustOptions({ ca: o.ca?.toString(), insecure: o.insecure });
      socket = tls.connect({ socket: tcp, servername, ...trust });
    } else {
      // net.connect(o) is new Socket(o).connect(o); the socket's own options (onread, noDelay,
      // keepAlive) are missing from @types/node's constructor type.
      const own = { ...how, onread: { buffer: READ_BUFFER, callback: onRead } } as net.SocketConstructorOpts;
      socket = new ConnectionSocket(own).connect(where);
      o.wire?.track(socket);
    }
    const handshake = new Handshake(target, o.headers);
    const maxMessageBytes = o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const connection = new WsConnection(socket, owner, handshake, o.timeoutMs, maxMessageBytes);
    (socket as OwnedSocket)[CONNECTION] = connection;
    if (target.secure) socket.on('data', onData);
    socket.on('error', onError);
    // 'end' (the server's FIN) and 'error' (a reset) cover every way the server can go; not
    // 'close': the byte counter listens there, and a second listener costs an array per socket.
    socket.on('end', onEnd);
    socket.write(handshake.request);
    return connection;
  }

  /** Stops reading the socket (a slow client), so the server's send buffers really fill. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** The client lets go: the socket is dropped at once, nothing reported (a closing one finishes on its own). */
  release(): void {
    if (this.owner === null) return;
    this.owner = null;
    this.stopTimer();
    this.reader.stop();
    this.socket.destroy();
  }

  /** @internal bytes read from the socket */
  read(chunk: Buffer): void {
    // Bytes after the end (a server still talking after our close frame) only keep the port busy.
    if (this.owner === null) return void this.socket.destroy();
    if (this.handshake === null) {
      this.reader.feed(chunk);
      return;
    }
    const result = this.handshake.feed(chunk);
    if (result === null) return;
    if ('error' in result) return this.end(result.error);
    this.handshake = null;
    this.stopTimer();
    this.owner.wsOpen();
    // The first frames may have come with the head.
    if (this.owner !== null && result.rest.length > 0) this.reader.feed(result.rest);
  }

  /** @internal */
  failed(err: Error): void {
    this.end(errorKind(err));
  }

  /**
   * @internal The TCP connection closed without a close frame: before the answer, the server
   * hung up (as `ws` reports it, a reset); after it, an abnormal closure (1006), which `ws`
   * clients were never counted an error for.
   */
  closed(): void {
    this.end(this.handshake !== null ? 'connection-reset' : null);
  }

  /** @internal The handshake did not finish in time. */
  timedOut(): void {
    this.timer = null;
    if (this.handshake !== null) this.end('timeout');
  }

  onMessage(data: Buffer, binary: boolean): void {
    this.owner?.wsMessage(data, binary);
  }

  onPing(payload: Buffer): void {
    // A control frame's payload is at most 125 bytes: its header is always 2 bytes.
    this.owner?.wsPing?.(2 + payload.length);
    // A server that pings without reading our pongs would otherwise grow our send buffer without
    // end; a pong only says we are alive, and the ones already queued say it (RFC 6455 §5.5.3).
    if (this.socket.writableLength > PONG_BACKLOG_BYTES) return;
    this.socket.write(maskedControlFrame(OP_PONG, payload));
  }

  onClose(code: number): void {
    this.closeWith(code === 1005 ? null : code, closeKind(code));
  }

  onFrameError(kind: FrameErrorKind, code: number): void {
    this.closeWith(code, kind);
  }

  /**
   * Answers or sends a close frame (`code` null: one without a code), then waits for the server
   * to close the TCP connection, so the port's TIME_WAIT is the server's; reports `kind` now.
   * The frame is written, not ended with: a socket shutting down cannot be reset (libuv refuses,
   * and the socket would never close), and the session resets every socket still open at its end.
   */
  private closeWith(code: number | null, kind: string | null): void {
    const owner = this.owner;
    if (owner === null) return;
    this.owner = null;
    const payload = Buffer.alloc(code === null ? 0 : 2);
    if (code !== null) payload.writeUInt16BE(code);
    this.socket.write(maskedControlFrame(OP_CLOSE, payload));
    // Not kept: if the server closes first, destroying a destroyed socket does nothing.
    setTimeout(destroySocket, CLOSE_WAIT_MS, this.socket).unref();
    owner.wsEnd(kind);
  }

  /** Ends at once: the socket is destroyed and `kind` reported. */
  private end(kind: string | null): void {
    const owner = this.owner;
    if (owner === null) return;
    this.owner = null;
    this.stopTimer();
    this.reader.stop();
    this.socket.destroy();
    owner.wsEnd(kind);
  }

  private stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
