import type { SlowReading } from './read-throttle.js';
import type { TlsTrust } from './tls-trust.js';
import type { HeartbeatStats } from './heartbeat-watch.js';

/** A protocol's command-line name (the descriptors in src/protocols/list.ts name them all). */
export type ProtocolName = string;

/** What every simulated client reports, whatever its protocol. */
export interface ClientEvents {
  /** a first connection attempt starts now (connect time is measured from here) */
  attempt(): void;
  /** the transport is up (first response, SSE open, WebSocket open) */
  connected(): void;
  /** the transport went down; the client will try again */
  disconnected(): void;
  /** one marked rtbench event arrived; false when it was a duplicate */
  delivered(seq: number, intendedAt: number): boolean;
  /** one request/response finished; wasted when it carried no new event */
  request(wasted: boolean): void;
  reconnect(): void;
  /** a typed error: `kind` is a short stable name such as http-5xx, timeout, ws-close-1011 */
  error(kind: string, detail?: string): void;
}

/** Where a client connects and how it keeps its place in the stream. */
export interface TargetEndpoints {
  baseUrl: string; // http://host:port
  /** each protocol's subscription path, by protocol name (e.g. sse: /sse) */
  paths: Record<ProtocolName, string>;
  /** how polling clients ask for "what is new": ?since=<cursor>, or HTTP caching headers */
  cursor: 'query' | 'http-cache';
  /** name of the query parameter carrying the cursor */
  cursorParam: string;
  /** extra headers on every request (e.g. Authorization) */
  headers: Record<string, string>;
  /** a fleet: every instance's base URL (instance 0 = baseUrl, where events are published) */
  instances?: string[];
  /**
   * the same server at several addresses (base URLs): client i connects to address i mod N, so
   * each destination has its own ephemeral port range and no source address needs binding
   */
  addresses?: string[];
  /** https:// and wss://: which server certificates clients accept (default: the system's authorities) */
  tls?: TlsTrust;
  /**
   * present: clients speak HTTP/2 (h2 over https://, h2c with prior knowledge over http://),
   * `streamsPerConnection` clients to a connection (0: up to the server's concurrent-stream limit)
   */
  http2?: { streamsPerConnection: number };
}

export interface DriverOptions {
  target: TargetEndpoints;
  /** run tag: only events with this tag count */
  tag: string;
  pollIntervalMs: number;
  /** how long a client waits for an answer (its first byte, or a handshake) before it counts a timeout */
  requestTimeoutMs: number;
  /** how long a long-poll may be held before it counts a timeout (default requestTimeoutMs) */
  longPollWaitMs?: number;
  /** local source addresses to spread connections over (empty: let the OS pick) */
  sourceAddresses: string[];
  /** number of rooms; client i follows room i mod rooms through the {room} placeholder in paths */
  rooms: number;
  /** reconnect delays: exponential with full jitter, first and largest (default 250 ms .. 10 s) */
  backoff?: { initialMs: number; maxMs: number };
  /**
   * the heartbeat interval: a push client that receives no byte for 2× this long counts a
   * `heartbeat-timeout` and reconnects with resume; 0 or absent: no watch
   */
  heartbeatMs?: number;
  /** which of its transports a protocol with several runs this phase (Socket.IO: websocket or upgrade) */
  transport?: string;
  /** the event name a protocol with named events listens for (Socket.IO, --socketio-event) */
  eventName?: string;
  /** bounds against a hostile target, each past its bound a typed error and a reconnect */
  limits?: {
    /** the largest SSE line or event a client buffers (default 1 MiB; counted in decoded characters) */
    sseMaxEventBytes?: number;
    /**
     * the largest body of one poll or long-poll answer a client reads (default 16 MiB); a larger
     * one is an `answer-too-big` error, and the client drops the connection and backs off
     */
    pollMaxAnswerBytes?: number;
    /** the largest WebSocket message a client reassembles (default 16 MiB); larger: ws-message-too-big */
    wsMaxMessageBytes?: number;
  };
}

/** One simulated client of one protocol. */
export interface ProtocolClient {
  /** starts the client; resolves once the first connection attempt settled */
  start(): Promise<void>;
  /** stops the client and closes its connection */
  close(): Promise<void>;
}

/** Per-process state of one protocol's clients: connection pools, socket byte counters. */
export interface DriverSession {
  /** `slow`: this client reads slowly; each driver knows how to stop reading its own transport */
  createClient(index: number, events: ClientEvents, slow?: SlowReading): ProtocolClient;
  /** bytes read and written on all sockets this session opened, headers and framing included */
  wireBytes(): { in: number; out: number };
  /** what the clients saw of heartbeats (--heartbeat), or null without a watch (or for a poller) */
  heartbeat?(): HeartbeatStats | null;
  /** a protocol that starts on polling and upgrades (Socket.IO): what each upgrade took */
  upgrade?(): UpgradeStats | null;
  close(): Promise<void>;
}

/** One process's upgrades (polling → WebSocket), one entry per upgrade in each list. */
export interface UpgradeStats {
  /** from the connection attempt's start to the upgrade, ms: the time spent on polling */
  timesMs: number[];
  /** HTTP requests until the upgrade (the WebSocket handshake included) */
  requests: number[];
  /** bytes read and written until the upgrade (headers, framing and TLS included) */
  bytes: number[];
}

/** A way to send events upstream (publish): null when accepted, else an error kind. */
export interface UpstreamChannel {
  send(room: number, body: string): Promise<string | null>;
  /** a channel whose publishes are acknowledged (Socket.IO's emit with an ack): each round trip, ms */
  ackRoundTripsMs?(): number[];
  close(): Promise<void>;
}

export interface ProtocolDriver {
  name: ProtocolName;
  /** true for request/response protocols, whose empty answers are wasted requests */
  requestResponse: boolean;
  /** the protocol also runs over HTTP/2 (`--http 2`): its session then opens streams on shared connections */
  http2?: boolean;
  /** after the last publish, how long a healthy client may need to receive it (e.g. one poll interval) */
  settleMs(options: DriverOptions): number;
  openSession(options: DriverOptions): DriverSession;
  /** for bidirectional protocols: publish over the protocol's own connection, as a chat client does */
  openUpstream?(options: DriverOptions): UpstreamChannel;
}
