import type { ProtocolName, TargetEndpoints } from '../protocols/types.js';
import type { BackpressurePolicy } from '../server-core/backpressure.js';
import type { Fault, SlowMode } from './stress.js';
import type { HttpPlan } from './http-versions.js';
import type { TlsPlan } from './tls.js';

/** Everything one `rtbench run` needs, after defaults, scenario file and flags were combined. */
export interface RunPlan {
  name: string | null;
  /** labels recorded with the results (k6's tags) */
  tags: Record<string, string>;
  protocols: ProtocolName[];
  clients: number;
  durationMs: number;
  rampMs: number;
  /** events per second published */
  rate: number;
  payloadBytes: number;
  /** 'protocol': publish over the protocol's own connection where it has one (WebSocket), else HTTP */
  upstream: 'http' | 'protocol';
  /** clients follow room i mod rooms; event k goes to room (k−1) mod rooms (1 = no rooms) */
  rooms: number;
  pollIntervalMs: number;
  longPollTimeoutMs: number;
  /** the transports each protocol that has several runs over, one phase each (Socket.IO's websocket, upgrade) */
  transports: Record<ProtocolName, string[]>;
  /** the event name Socket.IO clients listen for */
  socketioEvent: string;
  /** 0 = automatic */
  workers: number;
  sourceAddresses: string[];
  /** > 1: the bundled server runs as this many instances fanning out through Redis */
  fleet: number;
  redis: string | null;
  /** null: start the bundled reference server in-process */
  target: TargetPlan | null;
  /** --tls, --cert/--key, --insecure */
  tls: TlsPlan;
  /** --http, --streams-per-connection */
  http: HttpPlan;
  /** options for the bundled server */
  server: {
    fanoutDelayMs: number;
    highWaterBytes: number;
    /** 0 = automatic */ processes: number;
    /** CPU nice value of its processes */ nice: number;
  };
  output: { json: string | null; quiet: boolean };
  /** this process's share of the clients when a run is split over processes or machines */
  shard: { index: number; count: number } | null;
  /** wall-clock start (epoch ms) shared by every shard; phases start on a fixed schedule from it */
  startAt: number | null;
  /** names the run so every shard tags (and recognises) the same events */
  runId: string | null;
  /** how long a client waits for an answer or a handshake */
  requestTimeoutMs: number;
  /** a long-poll may be held this long: the long-poll timeout + 10 s, at least 30 s (or --timeout) */
  longPollWaitMs: number;
  /** bearer token the bundled server requires and every client sends; null: none */
  token: string | null;
  /** reconnect delays: exponential with full jitter between these bounds */
  backoff: { initialMs: number; maxMs: number };
  /** heartbeat interval (SSE comments, WebSocket pings) and the clients' silence detection; 0 = off */
  heartbeatMs: number;
  /** what a client buffers of one SSE event, WebSocket message or poll answer before it gives up on it */
  limits: { sseMaxEventBytes: number; wsMaxMessageBytes: number; pollMaxAnswerBytes: number };
  stress: {
    /** share of each protocol's clients that read slowly (0 = none) */
    slowFraction: number;
    slowMode: SlowMode;
    /** bundled server policies; each push protocol runs once per policy */
    backpressure: BackpressurePolicy[];
    faults: Fault[];
  };
}

export interface TargetPlan {
  url: string;
  publish: { method: string; path: string };
  endpoints: TargetEndpoints;
  /** where to read server metrics, or null when the target has none */
  metricsPath: string | null;
}
