import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { withRoom } from '../rooms.js';
import type { DriverOptions, UpstreamChannel } from '../types.js';
import { bearerToken, splitPath } from './handshake.js';
import { SOCKETIO_PUBLISH_EVENT } from './names.js';

/** How long an emit waits for its ack before it counts as failed. */
const ACK_TIMEOUT_MS = 10_000;

/** Round trips kept: beyond this the p99 is long settled. */
const MAX_ROUND_TRIPS = 100_000;

/**
 * Publishing over Socket.IO, as a chat client sends: one WebSocket-only socket per room (opened on
 * first use), each event one `publish` emit with an ack. Accepted = acknowledged; the time from
 * the emit to its ack is the ack round trip.
 */
export class SocketIoUpstream implements UpstreamChannel {
  private readonly sockets = new Map<number, Promise<Socket>>();
  private readonly roundTrips: number[] = [];

  constructor(private readonly options: DriverOptions) {}

  private open(room: number): Promise<Socket> {
    let socket = this.sockets.get(room);
    if (!socket) {
      const { target } = this.options;
      const { path, query } = splitPath(target.paths.socketio);
      const token = bearerToken(target.headers);
      socket = new Promise<Socket>((resolve, reject) => {
        const s = io(target.baseUrl, {
          path,
          query: Object.fromEntries(query.map(([k, v]) => [k, withRoom(v, room)])),
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
          timeout: ACK_TIMEOUT_MS,
          auth: token ? { token } : {},
          extraHeaders: target.headers,
          // engine.io-client hands ca and rejectUnauthorized to ws (a secure context it would drop)
          ...(target.tls?.ca ? { ca: target.tls.ca } : {}),
          ...(target.tls?.insecure ? { rejectUnauthorized: false } : {}),
        } as Parameters<typeof io>[1]);
        s.once('connect', () => resolve(s));
        s.once('connect_error', (e) => reject(e));
        s.once('disconnect', () => this.sockets.delete(room));
      });
      socket.catch(() => this.sockets.delete(room));
      this.sockets.set(room, socket);
    }
    return socket;
  }

  async send(room: number, body: string): Promise<string | null> {
    let socket: Socket;
    try {
      socket = await this.open(room);
    } catch {
      return 'socketio-upstream-connect-error';
    }
    if (!socket.connected) return 'socketio-upstream-closed';
    const sentAt = performance.now();
    try {
      const answer = (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(SOCKETIO_PUBLISH_EVENT, body)) as {
        error?: unknown;
      } | null;
      if (this.roundTrips.length < MAX_ROUND_TRIPS) this.roundTrips.push(performance.now() - sentAt);
      return answer && typeof answer === 'object' && answer.error ? 'socketio-upstream-refused' : null;
    } catch {
      return 'socketio-upstream-ack-timeout';
    }
  }

  /** The emit → ack round trips so far, ms. */
  ackRoundTripsMs(): number[] {
    return this.roundTrips;
  }

  async close(): Promise<void> {
    for (const s of this.sockets.values())
      s.then(
        (socket) => socket.disconnect(),
        () => {},
      );
    this.sockets.clear();
  }
}
