/**
 * Why this client exists: on `ws`, an idle WebSocket client cost 2.5× the bare socket's memory,
 * and no `ws` option changed that. Measured with bench/ws-memory-probe.ts (5,000 idle clients in
 * one process, RSS and heap after a forced GC minus before, ÷ 5,000; mean of 3 runs):
 *
 *   bare net.Socket (TCP + handshake)       3.6 KB RSS   1.2 KB heap   1.0×
 *   ws client as rtbench used it            9.2 KB       3.7 KB        2.5× RSS, 3.0× heap
 *   the same with ws tuned (no deflate,     9.3 KB       3.7 KB
 *     no UTF-8 check, maxPayload)
 *   ws alone, one message listener          9.9 KB       2.7 KB        2.7× RSS, 2.2× heap
 *   this client                             5.2 KB       1.5 KB        1.4× RSS, 1.2× heap
 *
 * The heap beyond the socket was ws's Receiver (a Writable stream), Sender, WebSocket object and
 * per-client closures; the RSS beyond the heap mostly Node's HTTP client, which `ws` performs its
 * handshake with (request, parser, response) and which grows the heap and malloc arenas for good.
 * By the bench's own method (peak RSS slope of a whole `rtbench run`, 2,000 → 20,000 clients) a
 * client now costs 4.4 KB, the floor's 4.4 KB, where Artillery's ws engine costs 6.6 KB.
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
      ca: options.target.tls?.ca,
      insecure: options.target.tls?.insecure,
      wire: shared.wire,
    });
    if (connection === 'bad-url') return this.down(connection);
    this.connection = connection;
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
      this.throttle.bind(
        () => c.pause(),
        () => c.resume(),
      );
    }
    this.up();
  }

  /** @internal Messages stay bytes: the id and the markers are found without decoding. */
  wsMessage(data: Buffer): void {
    const { events, shared } = this.spec;
    this.heardAt = shared.watch.tick;
    this.cursor = leadingInteger(data, ID_PREFIX) || this.cursor;
    delivering = events;
    const found = scanEventsInBuffer(data, shared.prefix, deliver);
    delivering = null;
    // Only a message without any marker is decoded, to tell a foreign payload from a broken one.
    if (!found && isUnusablePayload(data.toString())) events.error(NON_JSON_PAYLOAD);
    this.throttle?.consumed(data.length);
  }

  /**
   * @internal A ping is a heartbeat: counted, and heard. (Bytes are heard per whole message or
   * ping; a single message trickling in for 2 heartbeat intervals would read as silence.)
   */
  wsPing(bytes: number): void {
    const watch = this.spec.shared.watch;
    this.heardAt = watch.tick;
    watch.bytes += bytes;
  }

  /** @internal */
  wsEnd(kind: string | null): void {
    this.connection = null;
    this.down(kind);
  }
}
