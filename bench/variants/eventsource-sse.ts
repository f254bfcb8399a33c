import { EventSource } from 'eventsource';
import { Agent, fetch as undiciFetch } from 'undici';
import { scanEvents } from '../../src/events/marker.js';
import { ClientSession, ReconnectingClient, type ClientSpec } from '../../src/protocols/client-base.js';
import { errorKind, statusKind } from '../../src/protocols/errors.js';
import { isUnusablePayload, NON_JSON_PAYLOAD } from '../../src/protocols/payload-check.js';
import { tapSseBody } from './sse-tap.js';
import { countingConnector } from '../../src/protocols/wire.js';
import type { DriverOptions } from '../../src/protocols/types.js';

/**
 * One SSE client on the `eventsource` package for parsing. Reconnection is the base's: on any
 * error the EventSource is closed and a new one opens after the back-off, sending Last-Event-ID
 * from the last id it saw.
 */
class SseClient extends ReconnectingClient {
  private es: EventSource | null = null;
  private lastEventId = '';
  /** why the last fetch failed, when it failed below HTTP (timeout, refused, reset) */
  private fetchError: string | null = null;

  constructor(
    spec: ClientSpec,
    private readonly agent: Agent,
  ) {
    super(spec);
  }

  private readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const { target } = this.spec.options;
    const headers: Record<string, string> = { ...(init?.headers as Record<string, string>), ...target.headers };
    if (this.lastEventId && !headers['Last-Event-ID'] && !headers['last-event-id'])
      headers['last-event-id'] = this.lastEventId;
    this.fetchError = null;
    let res: Response;
    try {
      res = (await undiciFetch(input as string, {
        ...(init as object),
        headers,
        dispatcher: this.agent,
      })) as unknown as Response;
    } catch (e) {
      this.fetchError = errorKind((e as { cause?: unknown }).cause ?? e);
      throw e;
    }
    if (!res.body) return res;
    const body = tapSseBody(res.body, this.throttle, () => this.spec.events.error('sse-malformed-line'));
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };

  protected open(): void {
    const es = new EventSource(this.baseUrl() + this.roomPath(this.spec.options.target.paths.sse), {
      fetch: this.fetch,
    });
    this.es = es;
    es.onopen = () => this.up();
    es.onmessage = (ev: MessageEvent) => {
      if (ev.lastEventId) this.lastEventId = ev.lastEventId;
      const text = String(ev.data);
      const found = scanEvents(text, this.spec.options.tag, (seq, t) => this.spec.events.delivered(seq, t));
      if (!found && isUnusablePayload(text)) this.spec.events.error(NON_JSON_PAYLOAD);
    };
    es.onerror = (ev: Event & { code?: number; message?: string }) => {
      if (this.es === es) this.down(this.errorKindOf(ev));
    };
  }

  protected teardown(): void {
    const es = this.es;
    this.es = null;
    es?.close();
  }

  private errorKindOf(ev: { code?: number; message?: string }): string {
    // eventsource reports a 200 with the wrong content type with code 200: the type is the problem.
    if (/content.type/i.test(ev.message ?? '')) return 'sse-wrong-content-type';
    if (ev.code) return statusKind(ev.code);
    return this.fetchError ?? 'sse-disconnected';
  }
}

/** The eventsource + undici session the lean client replaced: kept as the reference the bench measures it against. */
export function openEventSourceSession(options: DriverOptions): ClientSession {
  const addrs = options.sourceAddresses.length ? options.sourceAddresses : [undefined];
  let agents: Agent[] = [];
  const session = new ClientSession(
    options,
    (spec) => new SseClient(spec, agents[spec.index % agents.length]),
    async () => void (await Promise.all(agents.map((a) => a.destroy().catch(() => {})))),
  );
  // One streaming response holds one connection, so agents must not cap connections per origin.
  agents = addrs.map(
    (a) =>
      new Agent({
        connect: countingConnector(session.shared.wire, a),
        connections: null,
        keepAliveTimeout: 60_000,
        bodyTimeout: 0,
        headersTimeout: options.requestTimeoutMs,
      }),
  );
  return session;
}
