import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import type { EventSourceMessage } from 'eventsource-parser';
import { scanEvents } from '../../events/marker.js';
import { ClientSession, ReconnectingClient, type ClientSpec } from '../client-base.js';
import { statusKind } from '../errors.js';
import { isUnusablePayload, NON_JSON_PAYLOAD } from '../payload-check.js';
import { DEFAULT_MAX_EVENT_CHARS, SseReader, type SseSink } from '../sse/sse-reader.js';
import type { DriverOptions, DriverSession } from '../types.js';
import { h2ErrorKind, h2Headers, Http2Pool } from './connection-pool.js';

/**
 * One SSE client over HTTP/2: its own stream on a connection it shares with other clients of the
 * same origin (Http2Pool), the events parsed by the same SseReader as over HTTP/1.1. Reconnection,
 * back-off, heartbeat watch and the fleet hop are the base's; a reconnect sends Last-Event-ID.
 */
export class Http2SseClient extends ReconnectingClient implements SseSink {
  private session: ClientHttp2Session | null = null;
  private stream: ClientHttp2Stream | null = null;
  /** the response head was accepted: the stream is an event stream */
  private streaming = false;
  /** the first body bytes (the server's `:ok` comment) open the stream and are no heartbeat */
  private opening = false;
  private headTimer: NodeJS.Timeout | null = null;
  private readonly reader: SseReader;

  constructor(
    spec: ClientSpec,
    private readonly pool: Http2Pool,
  ) {
    super(spec);
    this.reader = new SseReader(this, spec.options.limits?.sseMaxEventBytes ?? DEFAULT_MAX_EVENT_CHARS);
  }

  protected open(): void {
    const { options, localAddress, shared } = this.spec;
    let url: URL;
    try {
      url = new URL(this.baseUrl() + this.roomPath(options.target.paths.sse));
    } catch {
      return this.down('bad-url');
    }
    const session = this.pool.lease(url.origin, localAddress, shared.wire);
    this.session = session;
    this.streaming = false;
    this.reader.reset();
    const ours: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache' };
    if (this.reader.lastEventId) ours['last-event-id'] = this.reader.lastEventId;
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(h2Headers(url.pathname + url.search, { ...ours, ...options.target.headers }));
    } catch (e) {
      return this.down(h2ErrorKind(e));
    }
    this.stream = stream;
    this.headTimer = setTimeout(() => this.timedOut(stream), options.requestTimeoutMs);
    stream.on('response', (head) => this.response(stream, head));
    stream.on('data', (chunk: Buffer) => this.bytes(stream, chunk));
    stream.on('error', (e) => this.lost(stream, h2ErrorKind(e)));
    stream.on('close', () => this.lost(stream, 'socket-closed'));
    if (this.throttle) {
      this.throttle.bind(
        () => stream.pause(),
        () => stream.resume(),
      );
    }
  }

  protected teardown(): void {
    this.stopHeadTimer();
    const stream = this.stream;
    const session = this.session;
    this.stream = null;
    this.session = null;
    this.streaming = false;
    this.reader.reset();
    if (stream && !stream.destroyed) stream.close();
    if (session) this.pool.release(session);
  }

  private response(stream: ClientHttp2Stream, head: IncomingHttpHeaders): void {
    if (stream !== this.stream) return;
    const status = Number(head[':status']);
    if (status !== 200) return this.down(statusKind(status));
    const type = String(head['content-type'] ?? '');
    if (!type.trim().toLowerCase().startsWith('text/event-stream')) return this.down('sse-wrong-content-type');
    const encoding = String(head['content-encoding'] ?? '')
      .trim()
      .toLowerCase();
    if (encoding !== '' && encoding !== 'identity') return this.down('sse-compressed-body');
    this.stopHeadTimer();
    this.streaming = true;
    this.opening = true;
    this.up();
  }

  private bytes(stream: ClientHttp2Stream, chunk: Buffer): void {
    if (stream !== this.stream) return;
    this.heardAt = this.spec.shared.watch.tick;
    if (!this.streaming) return;
    this.reader.feed(chunk, 0, chunk.length);
    this.opening = false;
    if (this.stream === stream) this.throttle?.consumed(chunk.length);
  }

  /** The stream ended, failed or closed: before the head a connection error, after it the end of the stream. */
  private lost(stream: ClientHttp2Stream, kind: string): void {
    if (stream !== this.stream) return;
    this.down(this.streaming ? 'sse-disconnected' : kind);
  }

  private timedOut(stream: ClientHttp2Stream): void {
    this.headTimer = null;
    if (stream === this.stream && !this.streaming) this.down('timeout');
  }

  private stopHeadTimer(): void {
    if (this.headTimer === null) return;
    clearTimeout(this.headTimer);
    this.headTimer = null;
  }

  /** The id a reconnect sends as Last-Event-ID ('' for none). */
  get lastEventId(): string {
    return this.reader.lastEventId;
  }

  private readonly deliver = (seq: number, intendedAt: number): void => {
    this.spec.events.delivered(seq, intendedAt);
  };

  onSseEvent(event: EventSourceMessage): void {
    const { events, options } = this.spec;
    const found = scanEvents(event.data, options.tag, this.deliver);
    if (!found && (event.event === undefined || event.event === 'message') && isUnusablePayload(event.data))
      events.error(NON_JSON_PAYLOAD);
  }

  /** A heartbeat's bytes: colon, text, line end and the blank line (HTTP/2 framing not counted). */
  onSseComment(chars: number): void {
    if (!this.opening) this.spec.shared.watch.bytes += chars + 3;
  }

  onSseMalformedLine(): void {
    this.spec.events.error('sse-malformed-line');
  }

  onSseTooLong(): void {
    this.down('sse-line-too-long');
  }
}

/** A session of SSE clients over HTTP/2, sharing connections per origin. */
export function openHttp2SseSession(options: DriverOptions): DriverSession {
  const pool = new Http2Pool(options.target.http2?.streamsPerConnection ?? 0, options.target.tls);
  return new ClientSession(
    options,
    (spec) => new Http2SseClient(spec, pool),
    async () => pool.close(),
  );
}
