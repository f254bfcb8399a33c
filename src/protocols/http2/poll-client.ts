import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import { scanEventsInBuffer } from '../../events/marker.js';
import { ClientSession, ReconnectingClient, type ClientSpec } from '../client-base.js';
import { statusKind } from '../errors.js';
import { HeartbeatWatch } from '../heartbeat-watch.js';
import { HttpCursor, type HeaderLookup } from '../http-cursor.js';
import { DEFAULT_MAX_ANSWER_BYTES } from '../http1/answer-reader.js';
import { AnswerCheck, NON_JSON_PAYLOAD } from '../payload-check.js';
import type { RequestPacing } from '../request-loop.js';
import type { DriverOptions, DriverSession } from '../types.js';
import { h2ErrorKind, h2Headers, Http2Pool } from './connection-pool.js';

const UNWATCHED = new HeartbeatWatch(0);

/** An answer's headers as HttpCursor reads them. */
class Head implements HeaderLookup {
  constructor(private readonly h: IncomingHttpHeaders) {}
  header(name: string): string | undefined {
    const v = this.h[name];
    return Array.isArray(v) ? v[0] : v;
  }
}

/**
 * One polling or long-polling client over HTTP/2: a request loop of streams on a connection it
 * shares with the other clients of its origin (Http2Pool). Empty answers and 304s are wasted
 * requests, as over HTTP/1.1. A failed request (stream reset, connection lost, timeout, a non-2xx
 * answer, an answer too big) goes through the base: counted, backed off, tried again (in a
 * fleet, on the next instance), the first answer after it counting as a reconnection.
 */
export class Http2PollClient extends ReconnectingClient {
  private session: ClientHttp2Session | null = null;
  private origin = '';
  private stream: ClientHttp2Stream | null = null;
  /** an answer came since this attempt began (the transport is up) */
  private answering = false;
  private status = 0;
  private head: Head | null = null;
  private chunks: Buffer[] = [];
  private size = 0;
  private began = 0;
  private timer: NodeJS.Timeout | null = null;
  private deadline: NodeJS.Timeout | null = null;
  private highest = 0;
  private fresh = 0;
  private askedBefore = false;
  /** attempts torn down so far: a wait that began in an earlier attempt must not ask again */
  private attempts = 0;
  /** until the first request's random offset has passed */
  private delayed: { resolve: () => void; timer: NodeJS.Timeout } | null = null;
  private readonly path: string;
  private readonly cursor: HttpCursor;
  private readonly check = new AnswerCheck();
  private readonly maxAnswerBytes: number;

  constructor(
    spec: ClientSpec,
    private readonly pacing: RequestPacing,
    private readonly pool: Http2Pool,
  ) {
    // A poller is no push transport: the heartbeat watch (--heartbeat) is not its business.
    super({ ...spec, shared: { ...spec.shared, watch: UNWATCHED } });
    this.path = this.roomPath(pacing.path);
    this.cursor = new HttpCursor(spec.options.target);
    this.maxAnswerBytes = spec.options.limits?.pollMaxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
  }

  /** Clients do not all ask in the same millisecond: the pacing's random offset first. */
  override start(): Promise<void> {
    const delay = this.pacing.initialDelay();
    if (delay <= 0) return super.start();
    return new Promise((resolve) => {
      this.delayed = {
        resolve,
        timer: setTimeout(() => {
          this.delayed = null;
          void super.start().then(resolve);
        }, delay),
      };
    });
  }

  override close(): Promise<void> {
    if (this.delayed) {
      clearTimeout(this.delayed.timer);
      this.delayed.resolve();
      this.delayed = null;
    }
    return super.close();
  }

  protected open(): void {
    if (this.closed) return;
    this.answering = false;
    this.ask();
  }

  /** Sends the next request; a stalled client waits for its throttle. */
  private readonly ask = (): void => {
    this.timer = null;
    if (this.closed) return;
    if (this.askedBefore && this.throttle) {
      const wait = this.throttle.whenOpen();
      if (wait) {
        const attempt = this.attempts;
        void wait.then(() => attempt === this.attempts && this.ask());
        return;
      }
    }
    this.askedBefore = true;
    const { localAddress, shared } = this.spec;
    let url: URL;
    try {
      url = new URL(this.baseUrl() + this.cursor.path(this.path));
    } catch {
      return this.down('bad-url');
    }
    if (this.session && (this.session.closed || this.session.destroyed || this.origin !== url.origin)) {
      this.pool.release(this.session);
      this.session = null;
    }
    if (!this.session) {
      this.session = this.pool.lease(url.origin, localAddress, shared.wire);
      this.origin = url.origin;
    }
    this.status = 0;
    this.head = null;
    this.chunks = [];
    this.size = 0;
    this.began = performance.now();
    let stream: ClientHttp2Stream;
    try {
      stream = this.session.request(h2Headers(url.pathname + url.search, this.cursor.headers()), { endStream: true });
    } catch (e) {
      return this.down(h2ErrorKind(e));
    }
    this.stream = stream;
    const t = this.pacing.timeoutMs;
    if (t > 0) this.deadline = setTimeout(() => this.timedOut(stream), t);
    stream.on('response', (head) => {
      if (stream !== this.stream) return;
      this.status = Number(head[':status']);
      this.head = new Head(head);
      if (!this.answering && this.status >= 200 && this.status < 400) {
        this.answering = true;
        this.up();
      }
    });
    stream.on('data', (chunk: Buffer) => this.bytes(stream, chunk));
    stream.on('end', () => this.answered(stream));
    stream.on('error', (e) => this.lost(stream, h2ErrorKind(e)));
    stream.on('close', () => this.lost(stream, 'socket-closed'));
  };

  private bytes(stream: ClientHttp2Stream, chunk: Buffer): void {
    if (stream !== this.stream) return;
    this.size += chunk.length;
    if (this.size > this.maxAnswerBytes) return this.down('answer-too-big');
    this.chunks.push(chunk);
    this.throttle?.consumed(chunk.length);
  }

  /** One complete answer. */
  private answered(stream: ClientHttp2Stream): void {
    if (stream !== this.stream) return;
    this.stream = null;
    this.stopDeadline();
    const events = this.spec.events;
    const status = this.status;
    const head = this.head ?? new Head({});
    if (status === 304) {
      this.cursor.update(head, null, this.highest);
      events.request(true);
    } else if (status >= 200 && status < 300) {
      const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks = [];
      this.fresh = 0;
      const found = scanEventsInBuffer(body, this.spec.shared.prefix, this.onEvent);
      if (!found && this.check.unusable(body)) events.error(NON_JSON_PAYLOAD);
      this.cursor.update(head, body, this.highest);
      events.request(this.fresh === 0);
    } else {
      // Every other status backs off, as over HTTP/1.1: a typo'd path is not asked for in a tight loop.
      events.request(true);
      return this.down(statusKind(status));
    }
    if (this.closed) return;
    const pause = this.pacing.pauseAfter(performance.now() - this.began);
    if (pause > 0) this.timer = setTimeout(this.ask, pause);
    else {
      const attempt = this.attempts;
      setImmediate(() => attempt === this.attempts && this.ask());
    }
  }

  private readonly onEvent = (seq: number, intendedAt: number): void => {
    if (this.spec.events.delivered(seq, intendedAt)) this.fresh++;
    if (seq > this.highest) this.highest = seq;
  };

  private lost(stream: ClientHttp2Stream, kind: string): void {
    if (stream !== this.stream) return;
    this.down(kind);
  }

  private timedOut(stream: ClientHttp2Stream): void {
    this.deadline = null;
    if (stream === this.stream) this.down(this.answering ? 'timeout' : 'connect-timeout');
  }

  private stopDeadline(): void {
    if (this.deadline === null) return;
    clearTimeout(this.deadline);
    this.deadline = null;
  }

  protected teardown(): void {
    this.attempts++; // a request loop still waiting on its throttle or the next tick stops here
    this.stopDeadline();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const stream = this.stream;
    this.stream = null;
    this.chunks = [];
    if (stream && !stream.destroyed) stream.close();
    if (this.session) this.pool.release(this.session);
    this.session = null;
  }
}

/** A session of polling or long-polling clients over HTTP/2, sharing connections per origin. */
export function openHttp2PollSession(options: DriverOptions, pacing: RequestPacing): DriverSession {
  const pool = new Http2Pool(options.target.http2?.streamsPerConnection ?? 0, options.target.tls);
  return new ClientSession(
    options,
    (spec) => new Http2PollClient(spec, pacing, pool),
    async () => pool.close(),
  );
}
