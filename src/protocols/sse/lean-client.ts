import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import type { EventSourceMessage } from 'eventsource-parser';
import { scanEvents } from '../../events/marker.js';
import { ReconnectingClient, type ClientSpec } from '../client-base.js';
import { errorKind, statusKind } from '../errors.js';
import { BodyDecoder, framingOf, type BodySink } from '../http1/body-decoder.js';
import { getRequestHead, parseHttpUrl, withHeaders } from '../http1/request.js';
import { ResponseHeadReader, type ResponseHead } from '../http1/response-head.js';
import { isUnusablePayload, NON_JSON_PAYLOAD } from '../payload-check.js';
import { tlsTrustOptions, type TlsTrust } from '../tls-trust.js';
import type { ClientEvents } from '../types.js';
import type { WireCounter } from '../wire.js';
import { DEFAULT_MAX_EVENT_CHARS, SseReader, type SseSink } from './sse-reader.js';

/**
 * Every SSE socket reads into this one buffer (net's `onread`): a read is parsed before the next
 * one starts, and nothing keeps a view of it, so no client holds read memory between reads and
 * no read allocates.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** The client that owns a socket, on the socket itself: the handlers are shared, not per client. */
const OWNER = Symbol('rtbench.sse.owner');
type OwnedSocket = Socket & { [OWNER]?: LeanSseClient };

function ownerOf(socket: Socket): LeanSseClient | null {
  const c = (socket as OwnedSocket)[OWNER];
  return c && c.owns(socket) ? c : null;
}

function onRead(this: Socket, n: number, buf: Buffer): void {
  ownerOf(this)?.bytes(buf, n);
}

function onSocketError(this: Socket, err: Error): void {
  ownerOf(this)?.failed(err);
}

/**
 * The socket's one 'close' listener, for the byte count and the client both (each more listener
 * on an event costs an array). Not 'end': a server's FIN closes the socket too (no half-open).
 */
function onSocketClose(this: Socket): void {
  const client = (this as OwnedSocket)[OWNER];
  if (!client) return;
  client.socketClosed(this);
}

/** TLS socket reads: each decrypted chunk is handed on as a read into the shared buffer would be. */
function onData(this: Socket, chunk: Buffer): void {
  ownerOf(this)?.bytes(chunk, chunk.length);
}

/** A TLS connection over a TCP socket of its own, whose bytes `wire` counts (the encrypted ones). */
function secureSocket(tcpOptions: net.NetConnectOpts, host: string, trust: TlsTrust | undefined, wire: WireCounter) {
  const tcp = net.connect(tcpOptions);
  wire.track(tcp);
  const servername = net.isIP(host) ? undefined : host;
  const socket = tls.connect({ socket: tcp, servername, ALPNProtocols: ['http/1.1'], ...tlsTrustOptions(trust) });
  socket.on('data', onData);
  return socket;
}

function onHeadTimeout(client: LeanSseClient): void {
  client.timedOut();
}

/**
 * True while the body bytes that came with the response head are read: their comment (the
 * bundled server's `:ok`, which flushes the head) opens the stream and is no heartbeat.
 */
let openingRead = false;

/** The events object scanEvents delivers to: one shared callback instead of one per client. */
let delivering: ClientEvents | null = null;
function deliver(seq: number, intendedAt: number): void {
  delivering!.delivered(seq, intendedAt);
}

/**
 * One SSE client on a bare TCP socket: a hand-written HTTP/1.1 GET, the response head read by
 * ResponseHeadReader, the body unframed by BodyDecoder (chunked, Content-Length, or until the
 * connection closes, as nginx with nchan sends it), and events parsed by SseReader. Reconnection,
 * back-off and the fleet hop are the base's; a reconnect sends Last-Event-ID.
 *
 * Memory is the point: per client there is the socket, this object, an SseReader, a BodyDecoder
 * while streaming, and the last event id. Socket handlers are module functions that find the
 * client on the socket; every read lands in one shared buffer; a parser is held only while an
 * event is half read (see SseReader).
 *
 * Over https:// the same client reads a TLS socket's `data` events (TLS cannot read into a buffer
 * of ours); the bytes counted are the TCP socket's under it, TLS records and handshake included.
 */
export class LeanSseClient extends ReconnectingClient implements BodySink, SseSink {
  private socket: Socket | null = null;
  /** while the response head is awaited */
  private head: ResponseHeadReader | null = null;
  /**
   * Fires when the head has not arrived in time; cleared once it has. A plain timer, not
   * socket.setTimeout: that one is an idle timeout (a head trickled in byte by byte never trips
   * it), and the socket keeps its Timeout and a bound function after setTimeout(0), ~170 B per
   * idle client measured with a heap snapshot; this one is dropped, so an open stream holds none.
   */
  private headTimer: NodeJS.Timeout | null = null;
  /** once the stream is open */
  private body: BodyDecoder | null = null;
  private readonly reader: SseReader;

  constructor(spec: ClientSpec) {
    super(spec);
    this.reader = new SseReader(this, spec.options.limits?.sseMaxEventBytes ?? DEFAULT_MAX_EVENT_CHARS);
  }

  protected open(): void {
    const { options, localAddress, shared } = this.spec;
    const target = parseHttpUrl(this.baseUrl() + this.roomPath(options.target.paths.sse));
    if (target === 'bad-url') return this.down(target);
    const tcpOptions = {
      host: target.host,
      port: target.port,
      ...(localAddress ? { localAddress } : {}),
      noDelay: true,
      // As undici's connector did: a peer that vanished without a FIN is found out eventually.
      keepAlive: true,
      keepAliveInitialDelay: 60_000,
    };
    let socket: Socket;
    if (target.secure) {
      socket = secureSocket(tcpOptions, target.host, options.target.tls, shared.wire);
    } else {
      socket = net.connect({
        ...tcpOptions,
        onread: { buffer: READ_BUFFER, callback: onRead as (n: number, buf: Buffer) => boolean },
      });
      shared.wire.track(socket, false); // counted off in socketClosed
    }
    (socket as OwnedSocket)[OWNER] = this;
    this.socket = socket;
    this.head = new ResponseHeadReader();
    this.headTimer = setTimeout(onHeadTimeout, options.requestTimeoutMs, this);
    this.reader.reset();
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.write(getRequestHead(target, this.requestHeaders()));
    if (this.throttle) {
      // Only slow clients pay for these closures; pausing an onread socket stops reading it.
      const s = socket;
      this.throttle.bind(
        () => s.pause(),
        () => s.resume(),
      );
    }
  }

  private requestHeaders(): Record<string, string> {
    const ours: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache' };
    if (this.reader.lastEventId) ours['last-event-id'] = this.reader.lastEventId;
    const headers = withHeaders(ours, this.spec.options.target.headers);
    // Never offered, even if the target's headers say so: a compressed body is one we would have
    // to inflate, and a small compressed body can inflate to gigabytes.
    delete headers['accept-encoding'];
    return headers;
  }

  protected teardown(): void {
    const socket = this.socket;
    this.socket = null;
    this.head = null;
    this.body = null;
    this.stopHeadTimer();
    this.reader.reset();
    // The socket keeps pointing here until it closes, for its byte count; owns() tells it is gone.
    socket?.destroy();
  }

  /** The id a reconnect sends as Last-Event-ID ('' for none). */
  get lastEventId(): string {
    return this.reader.lastEventId;
  }

  /** @internal for the shared socket handlers: is `socket` this client's current one? */
  owns(socket: Socket): boolean {
    return this.socket === socket;
  }

  /** @internal `n` bytes read into `buf` (the shared read buffer: parsed now, never kept). */
  bytes(buf: Buffer, n: number): void {
    const socket = this.socket;
    this.heardAt = this.spec.shared.watch.tick;
    if (this.head) {
      this.readHead(buf.subarray(0, n));
    } else if (this.body) {
      this.readBody(buf, 0, n);
    }
    if (this.socket === socket) this.throttle?.consumed(n);
  }

  private readHead(chunk: Buffer): void {
    let result = this.head!.feed(chunk);
    if (result === null) return;
    // 1xx (100 Continue, 103 Early Hints) come before the real answer: skip them.
    while (result !== null && 'head' in result && result.head.status >= 100 && result.head.status < 200) {
      this.head = new ResponseHeadReader();
      result = result.rest.length ? this.head.feed(result.rest) : null;
    }
    if (result === null) return;
    if ('error' in result) return this.down(result.error);
    const problem = this.refusal(result.head);
    if (problem) return this.down(problem);
    const framing = framingOf(result.head);
    if (framing === 'compressed') return this.down('sse-compressed-body');
    if (framing === 'http-malformed-head') return this.down(framing);
    this.head = null;
    this.stopHeadTimer();
    this.body = new BodyDecoder(framing);
    this.up();
    if (this.body.done) return this.down('sse-disconnected'); // Content-Length: 0
    const rest = result.rest;
    if (!rest.length) return;
    openingRead = true;
    try {
      this.readBody(rest, 0, rest.length);
    } finally {
      openingRead = false;
    }
  }

  /** Why a head does not open an event stream, or null when it does. */
  private refusal(head: ResponseHead): string | null {
    if (head.status !== 200) return statusKind(head.status);
    const type = head.headers['content-type'] ?? '';
    // As EventSource checks it: parameters such as ;charset=utf-8 may follow.
    if (!type.trim().toLowerCase().startsWith('text/event-stream')) return 'sse-wrong-content-type';
    const encoding = (head.headers['content-encoding'] ?? '').trim().toLowerCase();
    // We never offered an encoding, so a compressed body is the target ignoring the request.
    if (encoding !== '' && encoding !== 'identity') return 'sse-compressed-body';
    return null;
  }

  private readBody(buf: Buffer, start: number, end: number): void {
    const status = this.body!.feed(buf, start, end, this);
    if (status === 'end') this.down('sse-disconnected');
    else if (status === 'http-malformed-chunk') this.down(status);
  }

  /** BodySink: body bytes go to the SSE reader while this stream is still the current one. */
  onBody(buf: Buffer, start: number, end: number): boolean {
    this.reader.feed(buf, start, end);
    return this.body !== null;
  }

  /** @internal the socket failed: before the head it is a connection error, after it the stream ended. */
  failed(err: Error): void {
    this.down(this.head ? errorKind(err) : 'sse-disconnected');
  }

  /**
   * @internal a socket of this client closed: its bytes are counted; if it is the current one, the
   * server closed it: the end of an open stream, or a connection dropped before any answer.
   */
  socketClosed(socket: Socket): void {
    this.spec.shared.wire.closed(socket);
    if (this.socket === socket) this.down(this.head ? 'socket-closed' : 'sse-disconnected');
  }

  /** @internal requestTimeoutMs passed without a whole response head. */
  timedOut(): void {
    this.headTimer = null;
    if (this.head) this.down('timeout');
  }

  private stopHeadTimer(): void {
    if (this.headTimer === null) return;
    clearTimeout(this.headTimer);
    this.headTimer = null;
  }

  onSseEvent(event: EventSourceMessage): void {
    const { events, options } = this.spec;
    const data = event.data;
    delivering = events;
    const found = scanEvents(data, options.tag, deliver);
    delivering = null;
    // Named events are an application's own (control, presence): only plain messages must be JSON,
    // as the EventSource client's onmessage saw only those.
    if (!found && (event.event === undefined || event.event === 'message') && isUnusablePayload(data)) {
      events.error(NON_JSON_PAYLOAD);
    }
  }

  /**
   * A heartbeat's bytes: the colon, the text, the line end and the blank line that ends the block
   * (`:\n\n` as the bundled server sends it); HTTP chunk framing is not counted.
   */
  onSseComment(chars: number): void {
    if (!openingRead) this.spec.shared.watch.bytes += chars + 3;
  }

  onSseMalformedLine(): void {
    this.spec.events.error('sse-malformed-line');
  }

  onSseTooLong(): void {
    this.down('sse-line-too-long');
  }
}
