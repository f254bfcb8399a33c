import { EventSource } from 'eventsource';
import { Agent, fetch as undiciFetch } from 'undici';
import { scanEvents } from '../events/marker.js';
import { Backoff } from './backoff.js';
import { countingConnector, WireCounter } from './wire.js';
import { roomOf, withRoom } from './rooms.js';
import type { ClientEvents, DriverOptions, DriverSession, ProtocolClient, ProtocolDriver } from './types.js';

/**
 * One SSE client on the `eventsource` package. eventsource reconnects by itself and sends
 * Last-Event-ID; when it gives up (an HTTP error or a wrong content type closes it for good),
 * this client starts a new one after a back-off, carrying the last id it saw.
 */
class SseClient implements ProtocolClient {
  private es: EventSource | null = null;
  private lastEventId = '';
  private opens = 0;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly backoff = new Backoff();
  private resolveStart: (() => void) | null = null;

  constructor(
    private readonly options: DriverOptions,
    private readonly agent: Agent,
    private readonly events: ClientEvents,
    private readonly index: number,
  ) {}

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

  private open(): void {
    const { target } = this.options;
    const es = new EventSource(target.baseUrl + withRoom(target.sse, roomOf(this.index, this.options.rooms)), {
      fetch: (input, init) => {
        const headers: Record<string, string> = { ...(init?.headers as Record<string, string>), ...target.headers };
        if (this.lastEventId && !headers['Last-Event-ID'] && !headers['last-event-id']) headers['last-event-id'] = this.lastEventId;
        return undiciFetch(input as string, { ...(init as object), headers, dispatcher: this.agent }) as unknown as Promise<Response>;
      },
    });
    this.es = es;
    es.onopen = () => {
      if (this.opens++ > 0) this.events.reconnect();
      this.backoff.reset();
      this.events.connected();
      this.settleStart();
    };
    es.onmessage = (ev: MessageEvent) => {
      if (ev.lastEventId) this.lastEventId = ev.lastEventId;
      scanEvents(String(ev.data), this.options.tag, (seq, t) => this.events.delivered(seq, t));
    };
    es.onerror = (ev: Event & { code?: number; message?: string }) => {
      if (this.closed) return;
      this.events.disconnected();
      this.events.error(ev.code ? (ev.code >= 500 ? 'http-5xx' : `http-${ev.code}`) : /content type/i.test(ev.message ?? '') ? 'sse-wrong-content-type' : 'sse-disconnected');
      this.settleStart();
      if (es.readyState === EventSource.CLOSED) {
        // eventsource gave up: retry ourselves, with back-off, resuming from the last id.
        this.retryTimer = setTimeout(() => {
          if (this.closed) return;
          this.opens = Math.max(this.opens, 1);
          this.open();
        }, this.backoff.next());
      }
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
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

  createClient(index: number, events: ClientEvents): ProtocolClient {
    const c = new SseClient(this.options, this.agents[index % this.agents.length], events, index);
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
