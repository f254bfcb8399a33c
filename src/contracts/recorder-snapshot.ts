/** What a client worker reports for one protocol's clients: counters plus encoded HDR histograms. */

export interface Counters {
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  requests: number;
  wasted: number;
  reconnects: number;
  errors: number;
  disconnects: number;
}

/** One second of delivery latency; sums and maxima merge exactly across workers. */
export interface TimelinePoint {
  t: number; // seconds since the phase started
  count: number;
  sumMicros: number;
  maxMicros: number;
  /** the fastest delivery of the second (absent in results of older versions) */
  minMicros?: number;
}

/** One second of connection churn and healthy-client latency, for the stress timeline. */
export interface SecondSample {
  t: number; // seconds since the phase started
  /** transports that came up in this second (first connections and reconnections) */
  connects: number;
  reconnects: number;
  /** latency of healthy (not slow) clients' deliveries in this second, encoded HDR */
  healthyHdr: string;
}

/** Deliveries of one group of clients (healthy or slow). */
export interface GroupCounters {
  clients: number;
  delivered: number;
  lost: number;
}

/** What one process reports for one protocol's clients: counters plus encoded histograms. */
export interface RecorderSnapshot {
  clients: number;
  connectedNow: number;
  connectedPeak: number;
  counters: Counters;
  errorsByType: Record<string, number>;
  latencyHdr: string;
  connectHdr: string;
  firstEventHdr: string;
  timeline: TimelinePoint[];
  /** latency of healthy and of slow clients, kept apart so the slow ones cannot hide in the mix */
  healthyHdr: string;
  slowHdr: string;
  slow: GroupCounters;
  /** transport down → up again, per reconnection */
  reconnectHdr: string;
  /** events delivered on a re-established connection that were due before it was up (resume worked) */
  recovered: number;
  perSecond: SecondSample[];
  /** latency of events intended during the hold (all clients connected) and during the ramp */
  holdHdr?: string;
  rampHdr?: string;
  /** deliveries and losses of events intended during the ramp (the rest are the hold's) */
  ramp?: { delivered: number; lost: number };
  /** markers that cannot be rtbench's (a seq beyond the schedule, a time in the future): ignored */
  forged?: number;
  /** a fleet: latency on the publishing instance vs the others (empty otherwise) */
  sameInstanceHdr?: string;
  crossInstanceHdr?: string;
}
