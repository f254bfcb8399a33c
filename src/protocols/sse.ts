import { EventSource } from 'eventsource';
import { Agent, fetch as undiciFetch } from 'undici';
import { scanEvents } from '../events/marker.js';
import { backoffFrom, type Backoff } from './backoff.js';
import { errorKind } from './errors.js';
import { isUnusablePayload, NON_JSON_PAYLOAD } from './payload-check.js';
import { throttleFor, type ReadThrottle, type SlowReading } from './read-throttle.js';
import { tapSseBody } from './sse-tap.js';
import { countingConnector, WireCounter } from './wire.js';
import { roomOf, withRoom } from './rooms.js';
import { instanceFor } from './instances.js';
import type { ClientEvents, DriverOptions, DriverSession, ProtocolClient, ProtocolDriver } from './types.js';

/**
 * One SSE client on the `eventsource` package for parsing. Reconnection is rtbench's own, the
 * same as every protocol's: on any error the EventSource is closed and a new one opens after an
 * exponential back-off with jitter, sending Last-Event-ID from the last id it saw.
 */
class SseClient implements ProtocolClient {
  private es: EventSource | null = null;
  private lastEventId = '';
  private opens = 0;
  private hop = 0;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly backoff: Backoff;
  private readonly throttle: ReadThrottle | null;
  private resolveStart: (() => void) | null = null;
  /** why the last fetch failed, when it failed below HTTP (timeout, refused, reset) */
  private fetchError: string | null = null;

  constructor(
    private readonly options: DriverOptions,
    private readonly agent: Agent,
    private readonly events: ClientEvents,
    private readonly index: number,
    slow: SlowReading | undefined,
  ) {
    this.backoff = backoffFrom(options.backoff);
    this.throttle = throttleFor(slow);
  }

  start(): Promise<void> {
    return new Promise((resolve) => {
      this.resolveStart = resolve;
      this.open();
    });
  }

  private settleStart(): void {
    this.resolveStart?.();
    this.resolveStart = null;
  }

  private readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const { target } = this.options;
    const headers: Record<string, string> = { ...(init?.headers as Record<string, string>), ...target.headers };
    if (this.lastEventId && !headers['Last-Event-ID'] && !headers['last-event-id']) headers['last-event-id'] = this.lastEventId;
    this.fetchError = null;
    let res: Response;
    try {
      res = (await undiciFetch(input as string, { ...(init as object), headers, dispatcher: this.agent })) as unknown as Response;
    } catch (e) {
      this.fetchError = errorKind((e as { cause?: unknown }).cause ?? e);
      throw e;
    }
    if (!res.body) return res;
    const body = tapSseBody(res.body, this.throttle, () => this.events.error('sse-malformed-line'));
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };

  private open(): void {
    const { target } = this.options;
    const es = new EventSource(instanceFor(target, this.index, this.hop) + withRoom(target.sse, roomOf(this.index, this.options.rooms)), { fetch: this.fetch });
    this.es = es;
    es.onopen = () => {
      if (this.opens++ > 0) this.events.reconnect();
      this.backoff.reset();
      this.events.connected();
      this.settleStart();
    };
    es.onmessage = (ev: MessageEvent) => {
      if (ev.lastEventId) this.lastEventId = ev.lastEventId;
      const text = String(ev.data);
      if (!scanEvents(text, this.options.tag, (seq, t) => this.events.delivered(seq, t)) && isUnusablePayload(text)) this.events.error(NON_JSON_PAYLOAD);
    };
    es.onerror = (ev: Event & { code?: number; message?: string }) => {
      if (this.closed || this.es !== es) return;
      es.close();
      this.events.disconnected();
      this.events.error(this.errorKindOf(ev));
      this.settleStart();
      this.retryTimer = setTimeout(() => {
        if (this.closed) return;
        this.opens = Math.max(this.opens, 1);
        this.hop++; // in a fleet: try the next instance
        this.open();
      }, this.backoff.next());
    };
  }

  private errorKindOf(ev: { code?: number; message?: string }): string {
    // eventsource reports a 200 with the wrong content type with code 200: the type is the problem.
    if (/content.type/i.test(ev.message ?? '')) return 'sse-wrong-content-type';
    if (ev.code) return ev.code >= 500 ? 'http-5xx' : `http-${ev.code}`;
    return this.fetchError ?? 'sse-disconnected';
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.throttle?.stop();
    this.es?.close();
    this.settleStart();
  }
}

class SseSession implements DriverSession {
  private readonly wire = new WireCounter();
  private readonly agents: Agent[];
  private readonly clients = new Set<SseClient>();

  constructor(private readonly options: DriverOptions) {
    const addrs = options.sourceAddresses.length ? options.sourceAddresses : [undefined];
    // One streaming response holds one connection, so agents must not cap connections per origin.
    this.agents = addrs.map((a) => new Agent({ connect: countingConnector(this.wire, a), connections: null, keepAliveTimeout: 60_000, bodyTimeout: 0, headersTimeout: options.requestTimeoutMs }));
  }

  createClient(index: number, events: ClientEvents, slow?: SlowReading): ProtocolClient {
    const c = new SseClient(this.options, this.agents[index % this.agents.length], events, index, slow);
    this.clients.add(c);
    return c;
  }

  wireBytes() {
    return this.wire.totals();
  }

  async close(): Promise<void> {
    this.wire.resetAll();
    await Promise.all([...this.clients].map((c) => c.close()));
    await Promise.all(this.agents.map((a) => a.destroy().catch(() => {})));
  }
}

/** Server-Sent Events: one long HTTP response per client, events pushed as they happen. */
export const sseDriver: ProtocolDriver = {
  name: 'sse',
  requestResponse: false,
  path: (target) => target.sse,
  settleMs: () => 1000,
  openSession: (options) => new SseSession(options),
};
