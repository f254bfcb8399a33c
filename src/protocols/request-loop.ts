import { Client } from 'undici';
import { scanEvents } from '../events/marker.js';
import { backoffFrom, sleep } from './backoff.js';
import { isUnusablePayload, NON_JSON_PAYLOAD } from './payload-check.js';
import { throttleFor, type ReadThrottle, type SlowReading } from './read-throttle.js';
import { errorKind } from './errors.js';
import { HttpCursor } from './http-cursor.js';
import { countingConnector, WireCounter } from './wire.js';
import { roomOf, withRoom } from './rooms.js';
import { instanceFor } from './instances.js';
import type { ClientEvents, DriverOptions, DriverSession, ProtocolClient } from './types.js';

/** What separates polling from long-polling: the path, and how long to wait between requests. */
export interface RequestPacing {
  path: string;
  /** ms to wait after an answer that arrived `elapsedMs` after its request was sent */
  pauseAfter(elapsedMs: number): number;
  /** initial random offset so clients do not all ask in the same millisecond */
  initialDelay(): number;
  /** how long an answer may take before it counts as a timeout */
  timeoutMs: number;
}

/**
 * One simulated HTTP client: its own keep-alive connection (an undici Client), asking for what is
 * new again and again. Empty answers are wasted requests; network errors back off and retry.
 */
class RequestLoopClient implements ProtocolClient {
  private readonly abort = new AbortController();
  private readonly cursor: HttpCursor;
  private readonly http: Client;
  private highest = 0;
  private readonly path: string;
  private loop: Promise<void> | null = null;
  /** resolves once the first connection is up or the first attempt failed */
  private settleFirst: () => void = () => {};
  private readonly firstSettled = new Promise<void>((r) => (this.settleFirst = r));
  private readonly throttle: ReadThrottle | null;

  constructor(
    private readonly options: DriverOptions,
    private readonly pacing: RequestPacing,
    private readonly events: ClientEvents,
    wire: WireCounter,
    localAddress: string | undefined,
    index: number,
    slow: SlowReading | undefined,
  ) {
    this.throttle = throttleFor(slow);
    this.cursor = new HttpCursor(options.target);
    this.path = withRoom(pacing.path, roomOf(index, options.rooms));
    // Pollers stay on their instance: an undici Client is bound to one origin.
    this.http = new Client(instanceFor(options.target, index), {
      // The client is connected while its TCP connection is up, not only after a first answer.
      connect: countingConnector(wire, localAddress, (socket) => {
        this.events.connected();
        this.settleFirst();
        socket.once('close', () => {
          if (!this.abort.signal.aborted) this.events.disconnected();
        });
      }),
      pipelining: 1,
      keepAliveTimeout: 60_000,
      headersTimeout: pacing.timeoutMs,
      bodyTimeout: pacing.timeoutMs,
    });
  }

  async start(): Promise<void> {
    await sleep(this.pacing.initialDelay(), this.abort.signal);
    this.events.attempt();
    this.loop = this.run();
    await this.firstSettled;
  }

  private async run(): Promise<void> {
    const backoff = backoffFrom(this.options.backoff);
    let askedBefore = false;
    while (!this.abort.signal.aborted) {
      // A stalled client sends no request until the stall is over; its first request always goes
      // out, so it has a place in the stream (a cursor) before it stalls, like a push client.
      const wait = askedBefore ? this.throttle?.whenOpen() : null;
      if (wait) await wait;
      askedBefore = true;
      if (this.abort.signal.aborted) return;
      const began = performance.now();
      const ok = await this.once();
      if (!ok) this.settleFirst();
      if (this.abort.signal.aborted) return;
      if (ok) {
        backoff.reset();
        // No timer at all for max-rate polling: even setTimeout(0) costs ~1 ms per request.
        const pause = this.pacing.pauseAfter(performance.now() - began);
        if (pause > 0) await sleep(pause, this.abort.signal);
      } else {
        await sleep(backoff.next(), this.abort.signal);
        if (!this.abort.signal.aborted) this.events.reconnect();
      }
    }
  }

  /** One request; false when the transport failed (so the loop backs off). */
  private async once(): Promise<boolean> {
    try {
      const res = await this.http.request({
        path: this.cursor.path(this.path),
        method: 'GET',
        headers: this.cursor.headers(),
        signal: this.abort.signal,
      });
      const body = this.throttle ? await this.readSlowly(res.body) : await res.body.text();
      if (res.statusCode === 304) {
        this.cursor.update(res.headers, '', this.highest);
        this.events.request(true);
        return true;
      }
      if (res.statusCode !== 200) {
        this.events.error(res.statusCode >= 500 ? 'http-5xx' : `http-${res.statusCode}`);
        this.events.request(true);
        return res.statusCode < 500;
      }
      let fresh = 0;
      const found = scanEvents(body, this.options.tag, (seq, intendedAt) => {
        if (this.events.delivered(seq, intendedAt)) fresh++;
        if (seq > this.highest) this.highest = seq;
      });
      if (!found && isUnusablePayload(body)) this.events.error(NON_JSON_PAYLOAD);
      this.cursor.update(res.headers, body, this.highest);
      this.events.request(fresh === 0);
      return true;
    } catch (e) {
      if (this.abort.signal.aborted) return false;
      this.events.error(errorKind(e));
      return false;
    }
  }

  /** Reads an answer only as fast as the throttle allows, so the socket's buffers fill. */
  private async readSlowly(body: AsyncIterable<Buffer>): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) {
      chunks.push(chunk);
      this.throttle!.consumed(chunk.length);
      const wait = this.throttle!.whenOpen();
      if (wait) await wait;
    }
    return Buffer.concat(chunks).toString('utf8');
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
export class RequestLoopSession implements DriverSession {
  private readonly wire = new WireCounter();
  private readonly clients = new Set<RequestLoopClient>();

  constructor(private readonly options: DriverOptions, private readonly pacing: RequestPacing) {}

  createClient(index: number, events: ClientEvents, slow?: SlowReading): ProtocolClient {
    const addrs = this.options.sourceAddresses;
    const client = new RequestLoopClient(this.options, this.pacing, events, this.wire, addrs.length ? addrs[index % addrs.length] : undefined, index, slow);
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
