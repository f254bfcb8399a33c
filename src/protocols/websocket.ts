import WebSocket from 'ws';
import type { Socket } from 'node:net';
import { leadingInteger, markerPrefix, scanEventsInBuffer } from '../events/marker.js';
import { backoffFrom } from './backoff.js';
import { WireCounter } from './wire.js';
import { roomOf, withRoom } from './rooms.js';
import { instanceFor } from './instances.js';
import { WebSocketUpstream } from './websocket-upstream.js';
import { errorKind } from './errors.js';
import { isUnusablePayload, NON_JSON_PAYLOAD } from './payload-check.js';
import { throttleFor, type ReadThrottle, type SlowReading } from './read-throttle.js';
import type { ClientEvents, DriverOptions, DriverSession, ProtocolClient, ProtocolDriver } from './types.js';

const ID_PREFIX = Buffer.from('{"id":');

/**
 * One WebSocket client on `ws`. Reconnection is rtbench's own: exponential back-off with jitter,
 * resuming with ?<cursorParam>=<last id> (the server's id if messages carry one, else the last seq).
 */
class WebSocketClient implements ProtocolClient {
  private ws: WebSocket | null = null;
  private cursor = 0;
  private highestSeq = 0;
  private opens = 0;
  private hop = 0;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly backoff;
  private resolveStart: (() => void) | null = null;
  private readonly throttle: ReadThrottle | null;

  constructor(
    private readonly options: DriverOptions,
    private readonly wire: WireCounter,
    private readonly events: ClientEvents,
    private readonly localAddress: string | undefined,
    private readonly index: number,
    private readonly prefix: Buffer,
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

  private url(): string {
    const { target } = this.options;
    const base = instanceFor(target, this.index, this.hop).replace(/^http/, 'ws') + withRoom(target.ws, roomOf(this.index, this.options.rooms));
    if (!this.cursor) return base;
    return `${base}${base.includes('?') ? '&' : '?'}${encodeURIComponent(target.cursorParam)}=${this.cursor}`;
  }

  private open(): void {
    const ws = new WebSocket(this.url(), {
      perMessageDeflate: false,
      headers: this.options.target.headers,
      handshakeTimeout: this.options.requestTimeoutMs,
      ...(this.localAddress ? { localAddress: this.localAddress } : {}),
    });
    this.ws = ws;
    ws.on('upgrade', (res) => this.wire.track(res.socket as Socket));
    ws.on('unexpected-response', (_req, res) => {
      this.events.error(res.statusCode && res.statusCode >= 500 ? 'http-5xx' : `http-${res.statusCode}`);
      this.wire.track(res.socket as Socket);
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      // A slow client stops reading the socket itself, so the server's buffers really fill.
      this.throttle?.bind(() => ws.pause(), () => ws.resume());
      if (this.opens++ > 0) this.events.reconnect();
      this.backoff.reset();
      this.events.connected();
      this.settleStart();
    });
    // Messages stay Buffers: the id and the markers are found in the raw bytes (no decode per message).
    ws.on('message', (data: Buffer) => {
      this.cursor = leadingInteger(data, ID_PREFIX) || this.cursor;
      const found = scanEventsInBuffer(data, this.prefix, this.onEvent);
      // Only a message without any marker is decoded, to tell a foreign payload from a broken one.
      if (!found && isUnusablePayload(data.toString())) this.events.error(NON_JSON_PAYLOAD);
      this.throttle?.consumed(data.length);
    });
    ws.on('error', (e: NodeJS.ErrnoException) => {
      if (!this.closed) this.events.error(/handshake has timed out/i.test(e.message) ? 'timeout' : e.code ? errorKind(e) : 'ws-error');
    });
    ws.on('close', (code: number) => {
      if (this.closed) return;
      if (code !== 1000 && code !== 1001 && code !== 1005 && code !== 1006) this.events.error(`ws-close-${code}`);
      this.events.disconnected();
      this.settleStart();
      this.retryTimer = setTimeout(() => {
        if (this.closed) return;
        this.hop++; // in a fleet: try the next instance
        this.open();
      }, this.backoff.next());
    });
  }

  /** One bound callback per client, not one closure per message. */
  private readonly onEvent = (seq: number, t: number): void => {
    this.events.delivered(seq, t);
    if (seq > this.highestSeq) this.highestSeq = seq;
  };

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.throttle?.stop();
    this.ws?.terminate();
    this.settleStart();
  }
}

class WebSocketSession implements DriverSession {
  private readonly wire = new WireCounter();
  private readonly clients = new Set<WebSocketClient>();
  private readonly prefix: Buffer;

  constructor(private readonly options: DriverOptions) {
    this.prefix = markerPrefix(options.tag);
  }

  createClient(index: number, events: ClientEvents, slow?: SlowReading): ProtocolClient {
    const addrs = this.options.sourceAddresses;
    const c = new WebSocketClient(this.options, this.wire, events, addrs.length ? addrs[index % addrs.length] : undefined, index, this.prefix, slow);
    this.clients.add(c);
    return c;
  }

  wireBytes() {
    return this.wire.totals();
  }

  async close(): Promise<void> {
    this.wire.resetAll();
    await Promise.all([...this.clients].map((c) => c.close()));
  }
}

/** WebSocket: one upgraded connection per client, full duplex, events pushed as frames. */
export const websocketDriver: ProtocolDriver = {
  name: 'websocket',
  requestResponse: false,
  path: (target) => target.ws,
  settleMs: () => 1000,
  openSession: (options) => new WebSocketSession(options),
  openUpstream: (options) => new WebSocketUpstream(options),
};
