import { nowMicros } from '../clock.js';
import type { ClientEvents } from '../protocols/types.js';
import { newHistogram, newSparseHistogram, encodeHistogram, type Histogram } from './histogram.js';
import { SequenceTracker } from './sequence.js';
import type { Counters, GroupCounters, RecorderSnapshot, TimelinePoint } from '../contracts/recorder-snapshot.js';

// The snapshot's shape is a contract (it crosses from a worker to the runner and into merged results).
export type {
  Counters,
  GroupCounters,
  RecorderSnapshot,
  SecondSample,
  TimelinePoint,
} from '../contracts/recorder-snapshot.js';

export function emptyCounters(): Counters {
  return {
    delivered: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    requests: 0,
    wasted: 0,
    reconnects: 0,
    errors: 0,
    disconnects: 0,
  };
}

/** Collects the measurements of all clients of one protocol in one process. */
export class ProtocolRecorder {
  readonly latency: Histogram = newHistogram();
  readonly connect: Histogram = newHistogram();
  readonly firstEvent: Histogram = newHistogram();
  readonly healthyLatency: Histogram = newHistogram();
  readonly slowLatency: Histogram = newHistogram();
  /** a fleet: deliveries to clients on the publishing instance, and on the others */
  readonly sameInstanceLatency: Histogram = newHistogram();
  readonly crossInstanceLatency: Histogram = newHistogram();
  readonly reconnectTime: Histogram = newHistogram();
  /** split at the hold's start by intended publish time: the ramp's connect storm stays out of the hold */
  readonly holdLatency: Histogram = newHistogram();
  readonly rampLatency: Histogram = newHistogram();
  rampDelivered = 0;
  private readonly slowTrackers = new Set<SequenceTracker>();
  private readonly seconds = new Map<number, { connects: number; reconnects: number; healthy: Histogram }>();
  recovered = 0;
  readonly counters: Counters = emptyCounters();
  readonly errorsByType: Record<string, number> = {};
  private readonly trackers: SequenceTracker[] = [];
  private readonly timeline = new Map<number, TimelinePoint>();
  connectedNow = 0;
  connectedPeak = 0;

  /**
   * `perSecond`: keep a healthy-latency histogram per second (stress runs; it costs a little per
   * delivery). `bounds`: when the hold starts (epoch µs; events intended before it belong to the
   * ramp) and the highest seq the schedule can reach (a marker beyond it is forged).
   */
  constructor(
    private readonly phaseStartMicros: number,
    readonly perSecond = true,
    private readonly bounds: { holdStartMicros?: number; maxSeq?: number } = {},
  ) {
    this.holdStartMicros = bounds.holdStartMicros ?? 0;
  }

  /** events intended before this (epoch µs) belong to the ramp */
  readonly holdStartMicros: number;
  /** epoch µs of the last transport up, and of the first and last answered request (0: none yet) */
  lastConnectMicros = 0;
  firstRequestMicros = 0;
  lastRequestMicros = 0;

  /**
   * The ClientEvents sink of one client, started now. A client of `room` out of `rooms` expects
   * only seqs of its room; another room's event is counted as a `wrong-room` error. `slow`
   * clients are counted apart. In a fleet, `instance` says whether the client started on the
   * instance that receives the publishes ('same') or on another ('cross').
   */
  clientEvents(room = 0, rooms = 1, slow = false, instance: 'same' | 'cross' | null = null): ClientEvents {
    const tracker = new SequenceTracker(rooms);
    this.trackers.push(tracker);
    if (slow) this.slowTrackers.add(tracker);
    const byInstance =
      instance === null ? null : instance === 'same' ? this.sameInstanceLatency : this.crossInstanceLatency;
    return new ClientRecorder(this, tracker, room, rooms, slow ? this.slowLatency : this.healthyLatency, byInstance);
  }

  /**
   * A marker no rtbench publisher of this phase can have sent: a seq below 1 or beyond the
   * schedule, or an intended time more than 5 s ahead of now. Counted as `forged-marker` and
   * ignored, so a hostile target cannot grow a client's missing-seq set without bound.
   */
  isForged(seq: number, intendedAt: number): boolean {
    const max = this.bounds.maxSeq;
    if (seq >= 1 && (max === undefined || seq <= max) && intendedAt <= nowMicros() + 5_000_000) return false;
    this.forged++;
    this.counters.errors++;
    this.errorsByType['forged-marker'] = (this.errorsByType['forged-marker'] ?? 0) + 1;
    return true;
  }

  forged = 0;

  /** This second's connection churn and healthy latency (for ClientRecorder). */
  second(now: number): { connects: number; reconnects: number; healthy: Histogram } {
    const t = Math.floor((now - this.phaseStartMicros) / 1_000_000);
    let s = this.seconds.get(t);
    if (!s) this.seconds.set(t, (s = { connects: 0, reconnects: 0, healthy: newSparseHistogram() }));
    return s;
  }

  /** Adds one delivery to the per-second latency timeline (for ClientRecorder). */
  addTimeline(now: number, latency: number): void {
    const t = Math.floor((now - this.phaseStartMicros) / 1_000_000);
    let p = this.timeline.get(t);
    if (!p) this.timeline.set(t, (p = { t, count: 0, sumMicros: 0, maxMicros: 0, minMicros: latency }));
    p.count++;
    p.sumMicros += latency;
    if (latency > p.maxMicros) p.maxMicros = latency;
    if (latency < p.minMicros!) p.minMicros = latency;
  }

  /** Closes every client's books against the last published seq and returns the snapshot. */
  snapshot(
    lastPublished: number | null,
    neverPublished: ReadonlySet<number> = new Set(),
    firstHoldSeq = 1,
  ): RecorderSnapshot {
    const c = { ...this.counters, delivered: 0, lost: 0, duplicated: 0, reordered: 0 };
    let rampLost = 0;
    const slow: GroupCounters = { clients: this.slowTrackers.size, delivered: 0, lost: 0 };
    for (const t of this.trackers) {
      if (lastPublished !== null) t.finish(lastPublished, neverPublished, firstHoldSeq);
      c.delivered += t.delivered;
      c.lost += t.lost;
      rampLost += t.lostInRamp;
      c.duplicated += t.duplicated;
      c.reordered += t.reordered;
      if (this.slowTrackers.has(t)) {
        slow.delivered += t.delivered;
        slow.lost += t.lost;
      }
    }
    return {
      clients: this.trackers.length,
      connectedNow: this.connectedNow,
      connectedPeak: this.connectedPeak,
      counters: c,
      errorsByType: { ...this.errorsByType },
      latencyHdr: encodeHistogram(this.latency),
      connectHdr: encodeHistogram(this.connect),
      firstEventHdr: encodeHistogram(this.firstEvent),
      timeline: [...this.timeline.values()].sort((a, b) => a.t - b.t),
      healthyHdr: encodeHistogram(this.healthyLatency),
      slowHdr: encodeHistogram(this.slowLatency),
      slow,
      reconnectHdr: encodeHistogram(this.reconnectTime),
      recovered: this.recovered,
      holdHdr: encodeHistogram(this.holdLatency),
      rampHdr: encodeHistogram(this.rampLatency),
      ramp: { delivered: this.rampDelivered, lost: rampLost },
      forged: this.forged,
      sameInstanceHdr: encodeHistogram(this.sameInstanceLatency),
      crossInstanceHdr: encodeHistogram(this.crossInstanceLatency),
      perSecond: [...this.seconds.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([t, s]) => ({
          t,
          connects: s.connects,
          reconnects: s.reconnects,
          healthyHdr: encodeHistogram(s.healthy),
        })),
    };
  }

  /** Clients that never saw any event (their losses cannot be counted from a start point). */
  silentClients(): number {
    return this.trackers.filter((t) => !t.started).length;
  }
}

/**
 * One client's ClientEvents: its sequence tracker, connection state and the histograms it feeds.
 * A class rather than an object of closures, so a client costs one small object and every
 * delivery runs the same shared methods.
 */
class ClientRecorder implements ClientEvents {
  private startedAt = nowMicros();
  private up = false;
  private everConnected = false;
  private firstSeen = false;
  /** when the transport went down (0 while up), and when it came back after the last outage */
  private downAt = 0;
  private resumedAt = 0;
  /** a healthy client in a stress run also feeds the per-second healthy histogram */
  private readonly perSecondHealthy: boolean;

  constructor(
    private readonly rec: ProtocolRecorder,
    private readonly tracker: SequenceTracker,
    private readonly room: number,
    private readonly rooms: number,
    /** the healthy or the slow clients' histogram */
    private readonly own: Histogram,
    /** a fleet: the same- or cross-instance histogram */
    private readonly byInstance: Histogram | null,
  ) {
    this.perSecondHealthy = own === rec.healthyLatency && rec.perSecond;
  }

  attempt(): void {
    if (!this.everConnected) this.startedAt = nowMicros();
  }

  connected(): void {
    if (this.up) return;
    this.up = true;
    const rec = this.rec;
    const now = nowMicros();
    rec.lastConnectMicros = now;
    rec.second(now).connects++;
    rec.connectedNow++;
    if (rec.connectedNow > rec.connectedPeak) rec.connectedPeak = rec.connectedNow;
    if (this.downAt) {
      rec.reconnectTime.recordValue(Math.max(1, Math.round(now - this.downAt)));
      this.resumedAt = now;
      this.downAt = 0;
    }
    if (!this.everConnected) {
      this.everConnected = true;
      rec.connect.recordValue(Math.max(1, Math.round(now - this.startedAt)));
    }
  }

  disconnected(): void {
    if (!this.up) return;
    this.up = false;
    this.downAt = nowMicros();
    this.rec.connectedNow--;
    this.rec.counters.disconnects++;
  }

  delivered(seq: number, intendedAt: number): boolean {
    const rec = this.rec;
    if (rec.isForged(seq, intendedAt)) return false;
    if (this.rooms > 1 && (seq - 1) % this.rooms !== this.room) {
      rec.counters.errors++;
      rec.errorsByType['wrong-room'] = (rec.errorsByType['wrong-room'] ?? 0) + 1;
      return false;
    }
    if (!this.tracker.accept(seq)) return false;
    const now = nowMicros();
    const latency = Math.max(1, Math.round(now - intendedAt));
    rec.latency.recordValue(latency);
    if (intendedAt < rec.holdStartMicros) {
      rec.rampLatency.recordValue(latency);
      rec.rampDelivered++;
    } else rec.holdLatency.recordValue(latency);
    this.own.recordValue(latency);
    this.byInstance?.recordValue(latency);
    if (this.perSecondHealthy) rec.second(now).healthy.recordValue(latency);
    rec.addTimeline(now, latency);
    if (intendedAt < this.resumedAt) rec.recovered++;
    if (!this.firstSeen) {
      this.firstSeen = true;
      rec.firstEvent.recordValue(Math.max(1, Math.round(now - this.startedAt)));
    }
    return true;
  }

  request(wasted: boolean): void {
    const rec = this.rec;
    rec.counters.requests++;
    if (wasted) rec.counters.wasted++;
    rec.lastRequestMicros = nowMicros();
    if (!rec.firstRequestMicros) rec.firstRequestMicros = rec.lastRequestMicros;
  }

  reconnect(): void {
    this.rec.counters.reconnects++;
    this.rec.second(nowMicros()).reconnects++;
  }

  error(kind: string): void {
    this.rec.counters.errors++;
    this.rec.errorsByType[kind] = (this.rec.errorsByType[kind] ?? 0) + 1;
  }
}
