import WebSocket from 'ws';
import type { Socket } from 'node:net';
import { leadingInteger, scanEventsInBuffer } from '../../events/marker.js';
import { ClientSession, ReconnectingClient, type ClientSpec } from '../client-base.js';
import { WebSocketUpstream } from './upstream.js';
import { errorKind, statusKind } from '../errors.js';
import { isUnusablePayload, NON_JSON_PAYLOAD } from '../payload-check.js';
import type { ProtocolDriver } from '../types.js';

const ID_PREFIX = Buffer.from('{"id":');

/**
 * One WebSocket client on `ws`. Reconnection is the base's; a reconnect resumes with
 * ?<cursorParam>=<last id> (the server's id if messages carry one, else the last seq).
 */
class WebSocketClient extends ReconnectingClient {
  private ws: WebSocket | null = null;
  private cursor = 0;

  constructor(spec: ClientSpec) {
    super(spec);
  }

  private url(): string {
    const { target } = this.spec.options;
    const base = this.baseUrl().replace(/^http/, 'ws') + this.roomPath(target.paths.websocket);
    if (!this.cursor) return base;
    return `${base}${base.includes('?') ? '&' : '?'}${encodeURIComponent(target.cursorParam)}=${this.cursor}`;
  }

  protected open(): void {
    const { options, localAddress, shared } = this.spec;
    const ws = new WebSocket(this.url(), {
      perMessageDeflate: false,
      headers: options.target.headers,
      handshakeTimeout: options.requestTimeoutMs,
      ...(localAddress ? { localAddress } : {}),
    });
    this.ws = ws;
    ws.on('upgrade', (res) => shared.wire.track(res.socket as Socket));
    ws.on('unexpected-response', (_req, res) => {
      this.spec.events.error(statusKind(res.statusCode ?? 0));
      shared.wire.track(res.socket as Socket);
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      // A slow client stops reading the socket itself, so the server's buffers really fill.
      this.throttle?.bind(() => ws.pause(), () => ws.resume());
      this.up();
    });
    // Messages stay Buffers: the id and the markers are found in the raw bytes (no decode per message).
    ws.on('message', (data: Buffer) => {
      this.cursor = leadingInteger(data, ID_PREFIX) || this.cursor;
      const found = scanEventsInBuffer(data, shared.prefix, this.onEvent);
      // Only a message without any marker is decoded, to tell a foreign payload from a broken one.
      if (!found && isUnusablePayload(data.toString())) this.spec.events.error(NON_JSON_PAYLOAD);
      this.throttle?.consumed(data.length);
    });
    ws.on('error', (e: NodeJS.ErrnoException) => {
      if (!this.closed) this.spec.events.error(/handshake has timed out/i.test(e.message) ? 'timeout' : e.code ? errorKind(e) : 'ws-error');
    });
    ws.on('close', (code: number) => {
      if (this.ws !== ws) return;
      this.down(code !== 1000 && code !== 1001 && code !== 1005 && code !== 1006 ? `ws-close-${code}` : null);
    });
  }

  protected teardown(): void {
    const ws = this.ws;
    this.ws = null;
    ws?.terminate();
  }

  /** One bound callback per client, not one closure per message. */
  private readonly onEvent = (seq: number, t: number): void => {
    this.spec.events.delivered(seq, t);
  };
}

/** WebSocket: one upgraded connection per client, full duplex, events pushed as frames. */
export const websocketDriver: ProtocolDriver = {
  name: 'websocket',
  requestResponse: false,
  path: (target) => target.paths.websocket,
  settleMs: () => 1000,
  openSession: (options) => new ClientSession(options, (spec) => new WebSocketClient(spec)),
  openUpstream: (options) => new WebSocketUpstream(options),
};
