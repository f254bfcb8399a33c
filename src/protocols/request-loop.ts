/**
 * The polling and long-polling client: one raw TCP (or TLS) socket per simulated client, speaking
 * just enough HTTP/1.1 to ask GET again and again on a keep-alive connection.
 *
 * Why a raw socket and not undici: bench/poll-compare.ts, max-rate polling of the bundled server,
 * 50 connections, one client process, 10 s per run, the tools in rotating order, three
 * invocations. The machine (2 cores) was shared with other work, so req/s swung ±40 % between
 * runs and, once the server is the bottleneck, hardly tell the clients apart; the client's own
 * CPU per request is the steady figure, and on one machine what a client burns is taken from the
 * server it measures.
 *
 *   median of N runs           raw socket   undici Client   autocannon 9   wrk 4.1, 1 thread   rtbench run
 *   A (5)  req/s                   13,761          10,972         13,784              16,622        11,460
 *          own CPU µs/req            27.5            50.9           36.2                17.6         36.2*
 *   B (7)  req/s                   18,280               –         17,832                   –        16,355
 *          own CPU µs/req            27.1               –           34.7                   –         32.4*
 *   C (5)  req/s                   19,334          19,807         18,448              19,638        21,461
 *          own CPU µs/req            26.5            37.4           33.9                18.6         30.9*
 *   * the whole run: runner and client worker, their start-up and the socket-floor probe included
 *
 * The raw socket costs 0.5–0.7× undici's CPU per request (an undici Client per simulated client,
 * dispatching through one reused handler) and 0.75× autocannon's. undici's pipelining was not
 * tried: a poller's next request carries the cursor of the answer before it, so there is never a
 * second request to pipeline.
 */
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { scanEventsInBuffer } from '../events/marker.js';
import { backoffFrom, type Backoff } from './backoff.js';
import { ClientSession, type ClientSpec } from './client-base.js';
import { errorKind, statusKind } from './errors.js';
import { HttpCursor } from './http-cursor.js';
import { AnswerReader, DEFAULT_MAX_ANSWER_BYTES, DONE, FAILED } from './http1/answer-reader.js';
import { getRequestHead, withHeaders } from './http1/request.js';
import { instanceFor } from './instances.js';
import { AnswerCheck, NON_JSON_PAYLOAD } from './payload-check.js';
import { throttleFor, type ReadThrottle } from './read-throttle.js';
import { tlsTrustOptions } from './tls-trust.js';
import { roomOf, withRoom } from './rooms.js';
import type { DriverOptions, DriverSession, ProtocolClient, TargetEndpoints } from './types.js';

/** What separates polling from long-polling: the path, and how long to wait between requests. */
export interface RequestPacing {
  path: string;
  /** ms to wait after an answer that arrived `elapsedMs` after its request was sent */
  pauseAfter(elapsedMs: number): number;
  /** initial random offset so clients do not all ask in the same millisecond */
  initialDelay(): number;
  /** how long an answer may take (connect included) before it counts as a timeout; 0: never */
  timeoutMs: number;
}

/** One server a client talks to: the target, or one instance of a fleet. */
interface Origin {
  host: string;
  port: number;
  tls: boolean;
  /** the Host header: host[:port] as the URL spells it */
  hostHeader: string;
  /** a base URL's own path (http://h/api → /api), put before every request path */
  prefix: string;
}

function originOf(url: string): Origin {
  const u = new URL(url);
  const secure = u.protocol === 'https:';
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const port = u.port ? Number(u.port) : secure ? 443 : 80;
  return { host, port, tls: secure, hostHeader: u.host, prefix: u.pathname.replace(/\/$/, '') };
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The bytes of one GET, built once per cursor and origin (getRequestHead drops a header that could
 * split the head, e.g. an ETag with CR LF from a hostile target, echoed back). No accept-encoding,
 * even when the target's headers name one: answers are scanned as raw bytes for markers, so they
 * must arrive as sent.
 */
function requestBytes(origin: Origin, path: string, headers: Record<string, string>): Buffer {
  const lower = withHeaders({}, headers);
  delete lower['accept-encoding'];
  const target = { host: origin.host, port: origin.port, hostHeader: origin.hostHeader, path: origin.prefix + path };
  return Buffer.from(getRequestHead(target, lower), 'latin1');
}

/** Refuses, once per session, a target whose paths or header names would break a request. */
function checkTarget(target: TargetEndpoints, path: string): void {
  if (/[\0-\x20\x7f-\uffff]/.test(path)) throw new Error(`path "${path}" has spaces, control or non-ASCII characters`);
  for (const name in target.headers) {
    if (!TOKEN.test(name)) throw new Error(`header name "${name}" is not an HTTP token`);
  }
}

/** What the clients of one session share: the read buffer, parsed origins, the timeout sweep. */
class PollContext {
  readonly clients = new Set<PollClient>();
  /**
   * One read buffer for every socket of the session: a read is handled before the next socket is
   * read, and a client copies what it keeps of a read (see AnswerReader), so nothing is allocated
   * per read and 20,000 idle clients hold no read buffers.
   */
  readonly readBuffer = Buffer.allocUnsafe(64 * 1024);
  readonly maxAnswerBytes: number;
  /** https://: which server certificates the session's clients accept */
  readonly trust: ReturnType<typeof tlsTrustOptions>;
  private readonly origins = new Map<string, Origin>();
  private readonly sweep: NodeJS.Timeout | null = null;

  constructor(options: DriverOptions, timeoutMs: number) {
    this.maxAnswerBytes = options.limits?.pollMaxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
    this.trust = tlsTrustOptions(options.target.tls);
    if (timeoutMs > 0) {
      // One timer for all the session's requests instead of one set and cleared per request
      // (thousands a second at max-rate polling); a timeout fires at most 1/8 of it, or 1 s, late.
      this.sweep = setInterval(this.expire, Math.min(1000, Math.max(10, timeoutMs / 8)));
      this.sweep.unref();
    }
  }

  origin(url: string): Origin {
    let o = this.origins.get(url);
    if (!o) this.origins.set(url, (o = originOf(url)));
    return o;
  }

  private readonly expire = (): void => {
    const now = performance.now();
    for (const c of this.clients) if (c.deadline < now) c.timedOut();
  };

  stop(): void {
    if (this.sweep) clearInterval(this.sweep);
  }
}

/**
 * One simulated HTTP client: its own keep-alive connection, asking for what is new again and
 * again. Empty answers (and 304s) are wasted requests. A failed request (network error, timeout,
 * an answer too big or malformed) drops the connection; a non-2xx answer keeps it; either backs
 * off, counts a reconnection and, in a fleet, moves on to the next instance.
 *
 * The loop runs on socket callbacks: an answer read to its end sends the next request from the
 * same callback (max-rate polling sets no timer at all), and an answer that arrives in one read
 * is scanned in the session's read buffer without a copy.
 */
class PollClient implements ProtocolClient {
  /** when the request in flight times out (performance.now), Infinity when none is */
  deadline = Infinity;
  private closed = false;
  private socket: Socket | null = null;
  /** the current socket's TCP (or TLS) connection is up */
  private up = false;
  /** the current socket carried an answer already: the server may close it idle at any time */
  private reused = false;
  private inFlight = false;
  /** a request on a reused connection that the server had closed is sent once more, silently */
  private resent = false;
  /** when the request in flight was sent (performance.now) */
  private began = 0;
  /** while reading is throttled: the time the request in flight had left when it stopped */
  private remaining = -1;
  private hop = 0;
  private origin: Origin;
  private readonly path: string;
  private readonly cursor: HttpCursor;
  private readonly reader: AnswerReader;
  private readonly check = new AnswerCheck();
  private readonly backoff: Backoff;
  private readonly throttle: ReadThrottle | null;
  private highest = 0;
  /** events of the answer being read that were new to this client */
  private fresh = 0;
  private askedBefore = false;
  private timer: NodeJS.Timeout | null = null;
  private request: Buffer = Buffer.alloc(0);
  private requestPath = '';
  private requestHeaders: Record<string, string> | null = null;
  private requestOrigin: Origin | null = null;
  private settleFirst: () => void = () => {};
  private readonly firstSettled = new Promise<void>((r) => (this.settleFirst = r));

  constructor(
    private readonly spec: ClientSpec,
    private readonly pacing: RequestPacing,
    private readonly ctx: PollContext,
  ) {
    const { options } = spec;
    this.throttle = throttleFor(spec.slow);
    this.backoff = backoffFrom(options.backoff);
    this.cursor = new HttpCursor(options.target);
    this.reader = new AnswerReader(ctx.maxAnswerBytes);
    this.path = withRoom(pacing.path, roomOf(spec.index, options.rooms));
    this.origin = ctx.origin(instanceFor(options.target, spec.index));
    ctx.clients.add(this);
  }

  start(): Promise<void> {
    const delay = this.pacing.initialDelay();
    if (delay > 0) this.timer = setTimeout(this.begin, delay);
    else this.begin();
    return this.firstSettled;
  }

  private readonly begin = (): void => {
    this.timer = null;
    if (this.closed) return;
    this.spec.events.attempt();
    this.next();
  };

  /** Sends the next request, unless the client is closed; a stalled client waits for its throttle. */
  private readonly next = (): void => {
    this.timer = null;
    if (this.closed) return;
    // A stalled client sends no request until the stall is over; its first request always goes
    // out, so it has a place in the stream (a cursor) before it stalls, like a push client.
    if (this.askedBefore && this.throttle) {
      const wait = this.throttle.whenOpen();
      if (wait) {
        void wait.then(this.next);
        return;
      }
    }
    this.askedBefore = true;
    this.began = performance.now();
    const t = this.pacing.timeoutMs;
    this.deadline = t > 0 ? this.began + t : Infinity;
    this.resent = false;
    this.send();
  };

  /** Writes the request, on the open connection or on a new one (Node sends it once connected). */
  private send(): void {
    this.reader.reset();
    this.inFlight = true;
    // A connection the server ended (its FIN read, the close not yet seen) cannot take a request.
    if (this.socket !== null && !this.socket.writable) this.dropSocket();
    if (this.socket === null) this.connect();
    this.socket!.write(this.requestFor());
  }

  /** The request bytes for the current cursor, rebuilt only when the cursor or origin changed. */
  private requestFor(): Buffer {
    const path = this.cursor.path(this.path);
    const headers = this.cursor.headers();
    if (path !== this.requestPath || headers !== this.requestHeaders || this.origin !== this.requestOrigin) {
      this.request = requestBytes(this.origin, path, headers);
      this.requestPath = path;
      this.requestHeaders = headers;
      this.requestOrigin = this.origin;
    }
    return this.request;
  }

  private connect(): void {
    const o = this.origin;
    const tcpOptions = {
      host: o.host,
      port: o.port,
      localAddress: this.spec.localAddress,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: 60_000,
    };
    let socket: Socket;
    if (o.tls) {
      const tcp = net.connect(tcpOptions);
      // The TCP socket is counted: its bytes include TLS records, as on the wire.
      this.spec.shared.wire.track(tcp);
      const servername = net.isIP(o.host) ? undefined : o.host;
      socket = tls.connect({ socket: tcp, servername, ALPNProtocols: ['http/1.1'], ...this.ctx.trust });
      socket.on('data', (chunk: Buffer) => {
        if (!this.read(socket, chunk)) socket.pause();
      });
    } else {
      socket = net.connect({
        ...tcpOptions,
        // Returning false pauses the socket (a throttled client).
        onread: {
          buffer: this.ctx.readBuffer,
          callback: (n: number, buf: Uint8Array) => this.read(socket, (buf as Buffer).subarray(0, n)),
        },
      });
      this.spec.shared.wire.track(socket);
    }
    this.socket = socket;
    this.up = false;
    this.reused = false;
    let reported = false;
    let error: Error | null = null;
    socket.once(o.tls ? 'secureConnect' : 'connect', () => {
      if (socket !== this.socket || this.closed) return;
      reported = true;
      this.up = true;
      this.spec.events.connected();
      this.settleFirst();
    });
    // The first error says why; a write to the broken socket after it adds nothing.
    socket.on('error', (e) => (error ??= e));
    socket.once('end', () => {
      // The server ended an idle keep-alive connection: the next request opens a new one.
      if (socket === this.socket && !this.inFlight) this.dropSocket();
    });
    socket.once('close', () => {
      if (reported && !this.closed) this.spec.events.disconnected();
      if (socket === this.socket) this.lost(error);
    });
  }

  /** Bytes of the current answer; false when reading must pause (a throttled client). */
  private read(socket: Socket, chunk: Buffer): boolean {
    if (socket !== this.socket) return true;
    if (!this.inFlight) {
      // Bytes nobody asked for: the connection's framing cannot be trusted any more.
      this.dropSocket();
      return true;
    }
    const r = this.reader.feed(chunk);
    let open = true;
    const throttle = this.throttle;
    if (throttle !== null) {
      throttle.consumed(chunk.length);
      const wait = throttle.whenOpen();
      if (wait !== null) {
        open = false;
        if (this.remaining < 0) {
          // Time spent not reading is the client's, not the server's: the timeout stops meanwhile.
          this.remaining = this.deadline - performance.now();
          this.deadline = Infinity;
        }
        void wait.then(() => this.resume(socket));
      }
    }
    if (r === DONE) this.answered();
    else if (r === FAILED) this.failed(this.reader.error ?? 'http-malformed-head');
    return open;
  }

  private resume(socket: Socket): void {
    if (this.remaining >= 0 && this.inFlight) this.deadline = performance.now() + this.remaining;
    this.remaining = -1;
    if (socket === this.socket && !this.closed) socket.resume();
  }

  /** The current connection closed (`error`: why, when it broke). */
  private lost(error: Error | null): void {
    this.socket = null;
    this.up = false;
    if (!this.inFlight || this.closed) return;
    if (error === null && this.reader.end()) return this.answered(); // a body that ran to the close
    const code = (error as { code?: string } | null)?.code;
    const quiet = error === null || code === 'ECONNRESET' || code === 'EPIPE';
    if (quiet && this.reused && this.reader.seen === 0 && !this.resent) {
      // The server closed the idle keep-alive connection as the request went out: no answer was
      // refused, so the request goes once more on a new connection, as browsers do.
      this.resent = true;
      this.send();
      return;
    }
    this.failed(error ? errorKind(error) : 'socket-closed');
  }

  /** Called by the session's sweep when the request in flight ran out of time. */
  timedOut(): void {
    this.failed(this.up ? 'timeout' : 'connect-timeout');
  }

  /** One complete answer. */
  private answered(): void {
    const r = this.reader;
    this.inFlight = false;
    this.deadline = Infinity;
    this.remaining = -1;
    // The body may be a view of the read buffer: the socket is dropped, not read, before it is used.
    if (r.closeAfter) this.dropSocket();
    else this.reused = true;
    const events = this.spec.events;
    const status = r.status;
    let ok = true;
    if (status === 304) {
      this.cursor.update(r, null, this.highest);
      events.request(true);
    } else if (status >= 200 && status < 300) {
      const body = r.body();
      this.fresh = 0;
      const found = scanEventsInBuffer(body, this.spec.shared.prefix, this.onEvent);
      if (!found && this.check.unusable(body)) events.error(NON_JSON_PAYLOAD);
      this.cursor.update(r, body, this.highest);
      events.request(this.fresh === 0);
    } else {
      // Every other status backs off, 4xx and 3xx too: a typo'd path must not be asked for in a
      // tight loop (long-polling answers a 404 at once).
      events.error(statusKind(status));
      events.request(true);
      ok = false;
    }
    if (this.closed) return;
    if (!ok) return this.backOff();
    this.backoff.reset();
    // No timer at all for max-rate polling: even setTimeout(0) costs ~1 ms per request.
    const pause = this.pacing.pauseAfter(performance.now() - this.began);
    if (pause > 0) this.timer = setTimeout(this.next, pause);
    else this.next();
  }

  private readonly onEvent = (seq: number, intendedAt: number): void => {
    if (this.spec.events.delivered(seq, intendedAt)) this.fresh++;
    if (seq > this.highest) this.highest = seq;
  };

  /** The request failed below HTTP: the connection is dropped, and the client backs off. */
  private failed(kind: string): void {
    this.inFlight = false;
    this.deadline = Infinity;
    this.remaining = -1;
    this.dropSocket();
    if (this.closed) return;
    this.spec.events.error(kind);
    this.backOff();
  }

  private backOff(): void {
    this.settleFirst();
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(this.retry, this.backoff.next());
  }

  /** After a failed request and its back-off: count the reconnection, then ask again. */
  private readonly retry = (): void => {
    this.timer = null;
    if (this.closed) return;
    this.spec.events.reconnect();
    this.moveOnInFleet();
    this.next();
  };

  /**
   * In a fleet, a request that failed moves the client on to the next instance, as push clients
   * do on reconnect: the cursor is a fleet-wide id, so the next instance answers from the same place.
   */
  private moveOnInFleet(): void {
    const target = this.spec.options.target;
    if ((target.instances?.length ?? 0) < 2) return;
    this.hop++;
    this.origin = this.ctx.origin(instanceFor(target, this.spec.index, this.hop));
    this.dropSocket();
  }

  private dropSocket(): void {
    const s = this.socket;
    if (s === null) return;
    this.socket = null;
    this.up = false;
    this.reused = false;
    s.destroy();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.throttle?.stop();
    this.inFlight = false;
    this.deadline = Infinity;
    this.dropSocket();
    this.ctx.clients.delete(this);
    this.settleFirst();
  }
}

/** A session of polling or long-polling clients: one byte counter, one read buffer, one timeout sweep. */
export function openPollSession(options: DriverOptions, pacing: RequestPacing): DriverSession {
  checkTarget(options.target, pacing.path);
  const ctx = new PollContext(options, pacing.timeoutMs);
  return new ClientSession(
    options,
    (spec) => new PollClient(spec, pacing, ctx),
    async () => ctx.stop(),
  );
}
