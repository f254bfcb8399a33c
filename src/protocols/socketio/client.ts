import { performance } from 'node:perf_hooks';
import { Manager, type Socket } from 'socket.io-client';
import { scanEvents } from '../../events/marker.js';
import { ClientSession, ReconnectingClient, type ClientSpec } from '../client-base.js';
import type { DriverOptions, ProtocolDriver, UpgradeStats } from '../types.js';
import { CountingAgent } from './agent.js';
import { bearerToken, splitPath } from './handshake.js';
import { SOCKETIO_DEFAULT_EVENT, type SocketIoTransport } from './names.js';
import { SocketIoUpstream } from './upstream.js';

/** Upgrades kept per process: beyond this the p99 is long settled. */
const MAX_UPGRADES = 100_000;

/** Bytes of one engine.io ping on a WebSocket: the packet `2` in a 2-byte frame header. */
const PING_BYTES = 3;

/** What a Socket.IO subscription path and the run's options give every client of a session. */
interface SocketIoSetup {
  /** the path without its query (`/socket.io`), and the query's parameters (the {room} one filled per client) */
  path: string;
  query: Array<[string, string]>;
  transport: SocketIoTransport;
  /** a packet carrying one of our events starts with this: `2["<event>",` */
  packetPrefix: string;
  token: string | undefined;
  upgrades: UpgradeStats;
}

function setupOf(options: DriverOptions): SocketIoSetup {
  const { path, query } = splitPath(options.target.paths.socketio);
  const event = options.eventName ?? SOCKETIO_DEFAULT_EVENT;
  return {
    path,
    query,
    transport: options.transport === 'upgrade' ? 'upgrade' : 'websocket',
    packetPrefix: `2${JSON.stringify([event]).slice(0, -1)},`,
    token: bearerToken(options.target.headers),
    upgrades: { timesMs: [], requests: [], bytes: [] },
  };
}

/**
 * One Socket.IO client (socket.io-client): a Manager and its socket per connection attempt, with
 * Socket.IO's own reconnection off, so reconnection, back-off and the fleet hop are the base's as
 * for every other client. A reconnect resumes with `since` (the last event id) in the handshake's
 * `auth`. Events are found in the raw packet text (engine.io's `data`), as the other clients find
 * them in raw bytes: nothing is decoded twice to look for a marker. This client is far heavier
 * than the lean ones (Manager, engine, transport, parser and closures per client): that is what a
 * Socket.IO client costs, and the memory figures show it.
 */
export class SocketIoClient extends ReconnectingClient {
  private manager: Manager | null = null;
  private socket: Socket | null = null;
  private agent: CountingAgent | null = null;
  private cursor = 0;
  private attemptAt = 0;

  constructor(
    spec: ClientSpec,
    private readonly setup: SocketIoSetup,
    private readonly sharedAgent: CountingAgent | null,
  ) {
    super(spec);
  }

  protected open(): void {
    const { options, localAddress, shared } = this.spec;
    const base = this.baseUrl();
    const upgrade = this.setup.transport === 'upgrade';
    this.agent = upgrade
      ? new CountingAgent(base.startsWith('https:'), options.target.tls, shared.wire, localAddress, true)
      : null;
    const query = Object.fromEntries(this.setup.query.map(([k, v]) => [k, this.roomPath(v)]));
    const manager = new Manager(base, {
      path: this.setup.path,
      query,
      transports: upgrade ? ['polling', 'websocket'] : ['websocket'],
      upgrade,
      reconnection: false,
      autoConnect: false,
      timeout: options.requestTimeoutMs,
      agent: (this.agent ?? this.sharedAgent)?.agent as unknown as string,
      extraHeaders: options.target.headers,
      closeOnBeforeunload: false,
      // engine.io-client hands it to ws; the per-client agent binds it for polling too
      ...({ localAddress } as object),
    });
    const auth: Record<string, unknown> = {};
    if (this.setup.token) auth.token = this.setup.token;
    if (this.cursor) auth.since = this.cursor;
    const socket = manager.socket('/', { auth });
    this.manager = manager;
    this.socket = socket;
    this.attemptAt = performance.now();
    // Closures per attempt: socket.io-client's API is event listeners; a stale attempt's are ignored.
    manager.on('open', () => {
      const engine = manager.engine;
      engine.on('data', (raw: unknown) => this.socket === socket && this.onData(raw));
      engine.on('ping', () => this.socket === socket && this.onPing());
      engine.on('upgrade', () => this.socket === socket && this.onUpgrade());
    });
    socket.on('connect', () => this.socket === socket && this.up());
    socket.on('connect_error', (e: Error) => this.socket === socket && this.down(connectErrorKind(e)));
    socket.on('disconnect', (reason: string) => this.socket === socket && this.down(disconnectKind(reason)));
    socket.connect();
  }

  protected teardown(): void {
    const socket = this.socket;
    const manager = this.manager;
    this.socket = null;
    this.manager = null;
    socket?.disconnect();
    manager?.engine?.close();
    this.agent?.destroy();
    this.agent = null;
  }

  private onData(raw: unknown): void {
    const { events, options, shared } = this.spec;
    this.heardAt = shared.watch.tick;
    if (typeof raw !== 'string' || !raw.startsWith(this.setup.packetPrefix)) return;
    this.cursor = leadingId(raw, this.setup.packetPrefix.length) || this.cursor;
    scanEvents(raw, options.tag, (seq, intendedAt) => events.delivered(seq, intendedAt));
  }

  /** An engine.io ping is Socket.IO's heartbeat: counted, and heard. */
  private onPing(): void {
    const watch = this.spec.shared.watch;
    this.heardAt = watch.tick;
    watch.bytes += PING_BYTES;
  }

  /** Polling gave way to WebSocket: how long it took from the attempt's start, and what it cost. */
  private onUpgrade(): void {
    const u = this.setup.upgrades;
    if (!this.agent || u.timesMs.length >= MAX_UPGRADES) return;
    u.timesMs.push(performance.now() - this.attemptAt);
    u.requests.push(this.agent.requests);
    u.bytes.push(this.agent.bytes());
  }
}

const ID_OPEN = '{"id":';

/** The id of `{"id":N,…` at `at` in a packet (0 when the payload does not start so). */
export function leadingId(raw: string, at: number): number {
  if (!raw.startsWith(ID_OPEN, at)) return 0;
  let n = 0;
  for (let i = at + ID_OPEN.length, c = raw.charCodeAt(i); c >= 48 && c <= 57; c = raw.charCodeAt(++i))
    n = n * 10 + (c - 48);
  return n;
}

/** A refused handshake: the server's middleware said why (a wrong token), or the transport failed. */
function connectErrorKind(e: Error): string {
  if (/token/i.test(e.message)) return 'socketio-auth-refused';
  if (/timeout/i.test(e.message)) return 'timeout';
  return 'socketio-connect-error';
}

/** Socket.IO's disconnect reasons as error kinds (a client's own disconnect is no error). */
function disconnectKind(reason: string): string | null {
  if (reason === 'io client disconnect') return null;
  return `socketio-${reason.replace(/^io /, '').replace(/\s+/g, '-')}`;
}

/** The session of a phase's Socket.IO clients: one agent for WebSocket-only clients, and the upgrades seen. */
class SocketIoSession extends ClientSession {
  private readonly setup: SocketIoSetup;

  constructor(options: DriverOptions) {
    const setup = setupOf(options);
    let shared: CountingAgent | null = null;
    super(
      options,
      (spec) => {
        if (setup.transport === 'websocket')
          shared ??= new CountingAgent(
            options.target.baseUrl.startsWith('https:'),
            options.target.tls,
            spec.shared.wire,
          );
        return new SocketIoClient(spec, setup, shared);
      },
      async () => shared?.destroy(),
    );
    this.setup = setup;
  }

  upgrade(): UpgradeStats | null {
    return this.setup.transport === 'upgrade' ? this.setup.upgrades : null;
  }
}

/** Socket.IO: socket.io-client over WebSocket only, or polling first and then the upgrade. */
export const socketIoDriver: ProtocolDriver = {
  name: 'socketio',
  requestResponse: false,
  settleMs: () => 1000,
  openSession: (options) => new SocketIoSession(options),
  openUpstream: (options) => new SocketIoUpstream(options),
};
