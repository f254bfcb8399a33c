/** The messages between the runner and its client worker processes (IPC, advanced serialization). */
import type { RecorderSnapshot } from './recorder-snapshot.js';
import type { DriverOptions, ProtocolName, UpgradeStats } from '../protocols/types.js';
import type { SlowReading } from '../protocols/read-throttle.js';
import type { MemoryReading } from './memory-reading.js';

/** Parent → worker: run these clients of this protocol. */
export interface StartMessage {
  type: 'start';
  protocol: ProtocolName;
  driver: DriverOptions;
  /** global indices [first, first + count) of this worker's clients, out of `total` */
  first: number;
  count: number;
  total: number;
  rampMs: number;
  phaseStartMicros: number;
  /** the share of clients that read slowly, and how; null: all healthy */
  slow: { fraction: number; reading: SlowReading } | null;
  /** stress run: keep per-second figures for the server timeline */
  perSecond: boolean;
  /** the highest seq the publish schedule can reach (a marker beyond it is forged) */
  maxSeq: number;
}

export type ParentMessage =
  | StartMessage
  | { type: 'sample-memory' }
  | { type: 'floor'; host: string; port: number; count: number }
  | { type: 'stop'; lastPublished: number | null; neverPublished: number[]; firstHoldSeq: number };

export interface WorkerProgress {
  type: 'progress';
  started: number;
  connected: number;
  delivered: number;
  errors: number;
  /** event-loop delay p99 of this worker in ms since the last progress message */
  loopDelayP99Ms: number;
}

export interface WorkerResult {
  type: 'result';
  snapshot: RecorderSnapshot;
  wire: { in: number; out: number };
  memory: { baseline: MemoryReading; loaded: MemoryReading | null };
  /** time from the first client start to the last client connected, ms */
  rampSpanMs: number;
  loopDelayMaxMs: number;
  /** event-loop delay p99 over the hold (after the ramp), ms */
  loopDelayP99Ms: number;
  /** event-loop delay p99 and max during the ramp (the connect storm), ms */
  rampLoopDelayP99Ms?: number;
  rampLoopDelayMaxMs?: number;
  /** CPU time (user + system) this worker used during the hold, µs */
  holdCpuMicros?: number;
  /** epoch µs of the first and last answered request (0 when none) */
  requestWindow: { first: number; last: number };
  /** --heartbeat, push protocols: heartbeat bytes and connection time seen, and when clients detected silence */
  heartbeat?: WorkerHeartbeat;
  /** a protocol that upgrades (Socket.IO's upgrade variant): each upgrade's time, requests and bytes */
  upgrade?: UpgradeStats;
}

/** One worker's heartbeat figures; times are ms since the phase started (the fault times' clock). */
export interface WorkerHeartbeat {
  intervalMs: number;
  bytes: number;
  watchedMs: number;
  timeoutsAtMs: number[];
}

export type WorkerMessage =
  | { type: 'ready' }
  | WorkerProgress
  | { type: 'memory'; reading: MemoryReading }
  | { type: 'floor'; sockets: number; rssPerSocket: number; heapPerSocket: number }
  | WorkerResult;
