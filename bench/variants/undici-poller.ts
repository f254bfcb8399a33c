import { Client } from 'undici';
import { markerPrefix, scanEventsInBuffer } from '../../src/events/marker.js';
import { AnswerHandler, type AnswerSink } from './undici-answer-handler.js';
import { backoffFrom, sleep, type Backoff } from '../../src/protocols/backoff.js';
import { AnswerCheck, NON_JSON_PAYLOAD } from '../../src/protocols/payload-check.js';
import { throttleFor, type ReadThrottle, type SlowReading } from '../../src/protocols/read-throttle.js';
import { errorKind, statusKind } from '../../src/protocols/errors.js';
import { HttpCursor } from '../../src/protocols/http-cursor.js';
import { countingConnector, WireCounter } from '../../src/protocols/wire.js';
import { roomOf, withRoom } from '../../src/protocols/rooms.js';
import { instanceFor } from '../../src/protocols/instances.js';
import type { RequestPacing } from '../../src/protocols/request-loop.js';
import type { ClientEvents, DriverOptions, DriverSession, ProtocolClient } from '../../src/protocols/types.js';

/*
 * rtbench's poller until the raw-socket one replaced it, kept for bench/poll-compare.ts to measure
 * against: an undici Client per simulated client, dispatching through one reusable handler.
 */

/**
 * One simulated HTTP client: its own keep-alive connection (an undici Client), asking for what is
 * new again and again. Empty answers are wasted requests; network errors back off and retry.
 *
 * The loop runs on callbacks, not on an async function: `next` sends a request through the
 * client's one AnswerHandler, whose completion calls `answered`, which schedules `next` again.
 * At max-rate polling nothing is allocated per request on rtbench's side beyond the path of a
 * new cursor, and no timer is set.
 */
class RequestLoopClient implements ProtocolClient, AnswerSink {
  private readonly abort = new AbortController();
  private readonly cursor: HttpCursor;
  private http: Client;
  /** instances moved on from (a fleet): after a failed request the client asks the next one */
  private hop = 0;
  private readonly handler: AnswerHandler;
  private readonly check = new AnswerCheck();
  private readonly backoff: Backoff;
  private highest = 0;
  /** events of the answer being read that were new to this client */
  private fresh = 0;
  private readonly path: string;
  private loop: Promise<void> | null = null;
  private endLoop: () => void = () => {};
  private askedBefore = false;
  /** when the request in flight was sent (performance.now) */
  private began = 0;
  /** resolves once the first connection is up or the first attempt failed */
  private settleFirst: () => void = () => {};
  private readonly firstSettled = new Promise<void>((r) => (this.settleFirst = r));
  private readonly throttle: ReadThrottle | null;

  constructor(
    private readonly options: DriverOptions,
    private readonly pacing: RequestPacing,
    private readonly events: ClientEvents,
    private readonly wire: WireCounter,
    private readonly localAddress: string | undefined,
    private readonly index: number,
    slow: SlowReading | undefined,
    private readonly prefix: Buffer,
  ) {
    this.throttle = throttleFor(slow);
    this.handler = new AnswerHandler(this, this.throttle);
    this.backoff = backoffFrom(options.backoff);
    this.cursor = new HttpCursor(options.target);
    this.path = withRoom(pacing.path, roomOf(index, options.rooms));
    this.http = this.connectTo(instanceFor(options.target, index));
    this.abort.signal.addEventListener('abort', () => this.handler.cancel(), { once: true });
  }

  /** A keep-alive connection to one origin (an undici Client is bound to one). */
  private connectTo(origin: string): Client {
    return new Client(origin, {
      // The client is connected while its TCP connection is up, not only after a first answer.
      connect: countingConnector(this.wire, this.localAddress, (socket) => {
        this.events.connected();
        this.settleFirst();
        socket.once('close', () => {
          if (!this.abort.signal.aborted) this.events.disconnected();
        });
      }),
      pipelining: 1,
      keepAliveTimeout: 60_000,
      headersTimeout: this.pacing.timeoutMs,
      bodyTimeout: this.pacing.timeoutMs,
    });
  }

  /**
   * In a fleet, a request that failed moves the client on to the next instance, as push clients
   * do on reconnect: the cursor is a fleet-wide id, so the next instance answers from the same place.
   */
  private moveOnInFleet(): void {
    const instances = this.options.target.instances?.length ?? 0;
    if (instances < 2) return;
    const old = this.http;
    this.hop++;
    this.http = this.connectTo(instanceFor(this.options.target, this.index, this.hop));
    void old.destroy().catch(() => {});
  }

  async start(): Promise<void> {
    await sleep(this.pacing.initialDelay(), this.abort.signal);
    this.events.attempt();
    this.loop = new Promise<void>((r) => (this.endLoop = r));
    this.next();
    await this.firstSettled;
  }

  /** Sends the next request, unless the client is closed; a stalled client waits for its throttle. */
  private readonly next = (): void => {
    if (this.abort.signal.aborted) return this.endLoop();
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
    this.handler.ask(this.http, this.cursor.path(this.path), this.cursor.headers());
  };

  /** After a failed request and its back-off: count the reconnection, then ask again. */
  private readonly retry = (): void => {
    if (!this.abort.signal.aborted) {
      this.events.reconnect();
      this.moveOnInFleet();
    }
    this.next();
  };

  /** The AnswerHandler's completion: reads the answer, then schedules the next request. */
  answered(answer: AnswerHandler, err: Error | null): void {
    let ok: boolean;
    try {
      ok = err === null ? this.read(answer) : this.failed(err);
    } catch (e) {
      ok = this.failed(e);
    }
    if (!ok) this.settleFirst();
    if (this.abort.signal.aborted) return this.endLoop();
    if (ok) {
      this.backoff.reset();
      // No timer at all for max-rate polling: even setTimeout(0) costs ~1 ms per request.
      const pause = this.pacing.pauseAfter(performance.now() - this.began);
      if (pause > 0) void sleep(pause, this.abort.signal).then(this.next);
      // Not from inside undici's callback: the next request goes out once undici is done with this one.
      else queueMicrotask(this.next);
    } else {
      void sleep(this.backoff.next(), this.abort.signal).then(this.retry);
    }
  }

  /** One complete answer; false when the loop should back off (a 5xx). */
  private read(answer: AnswerHandler): boolean {
    const status = answer.statusCode;
    if (status === 304) {
      this.cursor.update(answer, null, this.highest);
      this.events.request(true);
      return true;
    }
    if (status !== 200) {
      this.events.error(statusKind(status));
      this.events.request(true);
      return status < 500;
    }
    const body = answer.body();
    this.fresh = 0;
    const found = scanEventsInBuffer(body, this.prefix, this.onEvent);
    if (!found && this.check.unusable(body)) this.events.error(NON_JSON_PAYLOAD);
    this.cursor.update(answer, body, this.highest);
    this.events.request(this.fresh === 0);
    return true;
  }

  private readonly onEvent = (seq: number, intendedAt: number): void => {
    if (this.events.delivered(seq, intendedAt)) this.fresh++;
    if (seq > this.highest) this.highest = seq;
  };

  /** The transport failed (or the client was closed): always false. */
  private failed(e: unknown): boolean {
    if (!this.abort.signal.aborted) this.events.error(errorKind(e));
    return false;
  }

  async close(): Promise<void> {
    this.abort.abort();
    this.throttle?.stop();
    this.settleFirst();
    await this.loop?.catch(() => {});
    await this.http.destroy().catch(() => {});
  }
}

/** A session of request/response clients sharing one byte counter. */
export class UndiciPollSession implements DriverSession {
  private readonly wire = new WireCounter();
  private readonly clients = new Set<RequestLoopClient>();
  private readonly prefix: Buffer;

  constructor(
    private readonly options: DriverOptions,
    private readonly pacing: RequestPacing,
  ) {
    this.prefix = markerPrefix(options.tag);
  }

  createClient(index: number, events: ClientEvents, slow?: SlowReading): ProtocolClient {
    const addrs = this.options.sourceAddresses;
    const client = new RequestLoopClient(
      this.options,
      this.pacing,
      events,
      this.wire,
      addrs.length ? addrs[index % addrs.length] : undefined,
      index,
      slow,
      this.prefix,
    );
    this.clients.add(client);
    return client;
  }

  wireBytes() {
    return this.wire.totals();
  }

  async close(): Promise<void> {
    this.wire.resetAll();
    await Promise.all([...this.clients].map((c) => c.close()));
  }
}
