/**
 * Why this client exists: an idle WebSocket client on `ws` cost about twice the bare socket.
 * FIGURES
 */
import { leadingInteger, scanEventsInBuffer } from '../../events/marker.js';
import { ReconnectingClient, type ClientSpec } from '../client-base.js';
import { isUnusablePayload, NON_JSON_PAYLOAD } from '../payload-check.js';
import type { ClientEvents } from '../types.js';
import { WsConnection, type WsConnectionOwner } from './connection.js';

const ID_PREFIX = Buffer.from('{"id":');

/** The events object markers are delivered to: one shared callback instead of a closure per client. */
let delivering: ClientEvents | null = null;
function deliver(seq: number, intendedAt: number): void {
  delivering!.delivered(seq, intendedAt);
}

/**
 * One WebSocket client on a bare socket (WsConnection). Reconnection, back-off and the fleet hop
 * are the base's; a reconnect resumes with ?<cursorParam>=<last id> (the `{"id":N` a message
 * starts with). Per client there is the socket, this object, a WsConnection and its FrameReader.
 */
export class LeanWebSocketClient extends ReconnectingClient implements WsConnectionOwner {
  private connection: WsConnection | null = null;
  private cursor = 0;

  constructor(spec: ClientSpec) {
    super(spec);
  }

  private url(): string {
    const { target } = this.spec.options;
    const base = this.baseUrl() + this.roomPath(target.paths.websocket);
    if (!this.cursor) return base;
    return `${base}${base.includes('?') ? '&' : '?'}${encodeURIComponent(target.cursorParam)}=${this.cursor}`;
  }

  protected open(): void {
    const { options, localAddress, shared } = this.spec;
    const connection = WsConnection.open(this.url(), this, {
      headers: options.target.headers,
      timeoutMs: options.requestTimeoutMs,
      localAddress,
      maxMessageBytes: options.limits?.wsMaxMessageBytes,
    });
    if (connection === 'bad-url') return this.down(connection);
    this.connection = connection;
    shared.wire.track(connection.socket);
  }

  protected teardown(): void {
    const connection = this.connection;
    this.connection = null;
    connection?.release();
  }

  /** @internal */
  wsOpen(): void {
    if (this.throttle) {
      // Only slow clients pay for these closures. A slow client stops reading the socket itself,
      // so the server's buffers really fill.
      const c = this.connection!;
      this.throttle.bind(() => c.pause(), () => c.resume());
    }
    this.up();
  }

  /** @internal Messages stay bytes: the id and the markers are found without decoding. */
  wsMessage(data: Buffer): void {
    const { events, shared } = this.spec;
    this.cursor = leadingInteger(data, ID_PREFIX) || this.cursor;
    delivering = events;
    const found = scanEventsInBuffer(data, shared.prefix, deliver);
    delivering = null;
    // Only a message without any marker is decoded, to tell a foreign payload from a broken one.
    if (!found && isUnusablePayload(data.toString())) events.error(NON_JSON_PAYLOAD);
    this.throttle?.consumed(data.length);
  }

  /** @internal */
  wsEnd(kind: string | null): void {
    this.connection = null;
    this.down(kind);
  }
}
