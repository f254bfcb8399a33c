/**
 * HTTP/2 on the reference server's one port, next to HTTP/1.1: over TLS the handshake's ALPN says
 * which (`h2` or `http/1.1`), in plaintext the first bytes do (h2c with prior knowledge starts
 * with the `PRI * HTTP/2.0` preface). HTTP/2 connections go to an http2 server whose requests
 * reach the same handler through Node's compatibility API, so every route serves both versions.
 */
import type http from 'node:http';
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';

/** Streams one client connection may have open (nginx's default http2_max_concurrent_streams is 128). */
export const H2_MAX_CONCURRENT_STREAMS = 128;

/** The ALPN protocols the TLS server offers: HTTP/2 first, as servers that speak it do. */
export const ALPN_PROTOCOLS = ['h2', 'http/1.1'];

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface Http2Front {
  /** the TCP (or TLS) socket under an HTTP/2 request's connection */
  socketOf(session: http2.Http2Session): Socket | undefined;
  /** HTTP/2 connections accepted so far, and open now */
  sessions(): { total: number; open: number };
  closeAll(): void;
}

export interface Http2FrontOptions {
  /** the server is the HTTPS one: ALPN decides, not the first bytes */
  encrypted: boolean;
  /** the largest request header block, as the HTTP/1.1 server's maxHeaderSize */
  maxHeaderBytes: number;
  /** a plaintext connection that sends nothing this long goes to `then` (the HTTP/1.1 header timeout's job) */
  silent: { ms: number; then: (socket: Socket) => void };
}

/**
 * Makes `server` (the HTTP/1.1 or HTTPS server, just created) hand HTTP/2 connections to an http2
 * server answering with `handler`.
 */
export function answerHttp2(
  server: http.Server,
  handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
  { encrypted, maxHeaderBytes, silent }: Http2FrontOptions,
): Http2Front {
  // What a client controls is bounded as over HTTP/1.1: streams per connection, header size.
  const h2 = http2.createServer({
    settings: { maxConcurrentStreams: H2_MAX_CONCURRENT_STREAMS, maxHeaderListSize: maxHeaderBytes },
  });
  h2.on('request', handler);
  const raw = new WeakMap<http2.Http2Session, Socket>();
  const open = new Set<http2.Http2Session>();
  let total = 0;
  let arriving: Socket | null = null;
  h2.on('session', (session) => {
    total++;
    open.add(session);
    if (arriving) raw.set(session, arriving);
    session.on('close', () => open.delete(session));
    session.on('error', () => {});
  });
  const toH2 = (socket: Socket, wire: Socket | Duplex = socket) => {
    arriving = socket;
    try {
      h2.emit('connection', wire);
    } finally {
      arriving = null;
    }
  };
  // The HTTP/1.1 server's own listener, called for every connection that is not HTTP/2.
  const event = encrypted ? 'secureConnection' : 'connection';
  const http1 = server.listeners(event) as Array<(s: Socket) => void>;
  server.removeAllListeners(event);
  if (encrypted) {
    server.on(event, (socket: TLSSocket) => {
      if (socket.alpnProtocol === 'h2') toH2(socket);
      else for (const l of http1) l.call(server, socket);
    });
  } else {
    server.on(event, (socket: Socket) =>
      sniff(socket, silent, (first) => {
        if (isPreface(first)) return toH2(socket, withFirstBytes(socket, first));
        socket.unshift(first);
        for (const l of http1) l.call(server, socket);
      }),
    );
  }
  return {
    socketOf: (session) => raw.get(session),
    sessions: () => ({ total, open: open.size }),
    closeAll() {
      for (const s of open) s.destroy();
    },
  };
}

/** Calls `then` with the connection's first bytes; a connection silent for `silent.ms` goes to `silent.then`. */
function sniff(socket: Socket, silent: { ms: number; then: (socket: Socket) => void }, then: (first: Buffer) => void) {
  const timer = setTimeout(() => silent.then(socket), silent.ms);
  // The HTTP server keeps sockets half-open (it ends them itself): one that left without a byte is closed here.
  const left = () => socket.destroy();
  const done = () => {
    clearTimeout(timer);
    socket.off('end', left);
    socket.off('error', left);
  };
  socket.once('end', left);
  socket.on('error', left);
  socket.once('close', done);
  socket.once('data', (first: Buffer) => {
    done();
    socket.off('close', done);
    socket.pause();
    then(first);
    socket.resume();
  });
}

/** The first bytes are (the start of) the HTTP/2 connection preface. */
function isPreface(first: Buffer): boolean {
  const n = Math.min(first.length, PREFACE.length);
  return n >= 3 && first.subarray(0, n).equals(PREFACE.subarray(0, n));
}

/**
 * The socket as a stream that starts with the bytes already read: an http2 session reads its
 * socket natively and would never see bytes put back with unshift (HTTP/1.1's parser does).
 */
function withFirstBytes(socket: Socket, first: Buffer): Duplex {
  const wire: Duplex = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _enc, cb) => void socket.write(chunk, cb),
    final: (cb) => void socket.end(cb),
    destroy: (err, cb) => {
      socket.destroy();
      cb(err);
    },
  });
  wire.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!wire.push(chunk)) socket.pause();
  });
  socket.on('end', () => wire.push(null));
  socket.on('error', (e) => wire.destroy(e));
  socket.on('close', () => wire.destroy());
  return wire;
}
