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
    private readonly perSecond = true,
    private readonly bounds: { holdStartMicros?: number; maxSeq?: number } = {},
  ) {}

  /**
   * The ClientEvents sink of one client, started now. A client of `room` out of `rooms` expects
   * only seqs of its room; another room's event is counted as a `wrong-room` error. `slow`
   * clients are counted apart. In a fleet, `instance` says whether the client started on the
   * instance that receives the publishes ('same') or on another ('cross').
   */
  clientEvents(room = 0, rooms = 1, slow = false, instance: 'same' | 'cross' | null = null): ClientEvents {
    let startedAt = nowMicros();
    const tracker = new SequenceTracker(rooms);
    this.trackers.push(tracker);
    if (slow) this.slowTrackers.add(tracker);
    const own = slow ? this.slowLatency : this.healthyLatency;
    const byInstance =
      instance === null ? null : instance === 'same' ? this.sameInstanceLatency : this.crossInstanceLatency;
    let up = false;
    let everConnected = false;
    let firstSeen = false;
    /** when the transport went down (0 while up), and when it came back after the last outage */
    let downAt = 0;
    let resumedAt = 0;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the returned object's methods are its own `this`
    const rec = this;
    return {
      attempt() {
        if (!everConnected) startedAt = nowMicros();
      },
      connected() {
        if (up) return;
        up = true;
        const now = nowMicros();
        rec.second(now).connects++;
        rec.connectedNow++;
        if (rec.connectedNow > rec.connectedPeak) rec.connectedPeak = rec.connectedNow;
        if (downAt) {
          rec.reconnectTime.recordValue(Math.max(1, Math.round(now - downAt)));
          resumedAt = now;
          downAt = 0;
        }
        if (!everConnected) {
          everConnected = true;
          rec.connect.recordValue(Math.max(1, Math.round(now - startedAt)));
        }
      },
      disconnected() {
        if (!up) return;
        up = false;
        downAt = nowMicros();
        rec.connectedNow--;
        rec.counters.disconnects++;
      },
      delivered(seq, intendedAt) {
        if (rec.isForged(seq, intendedAt)) return false;
        if (rooms > 1 && (seq - 1) % rooms !== room) {
          rec.counters.errors++;
          rec.errorsByType['wrong-room'] = (rec.errorsByType['wrong-room'] ?? 0) + 1;
          return false;
        }
        if (!tracker.accept(seq)) return false;
        const now = nowMicros();
        const latency = Math.max(1, Math.round(now - intendedAt));
        rec.latency.recordValue(latency);
        if (intendedAt < (rec.bounds.holdStartMicros ?? 0)) {
          rec.rampLatency.recordValue(latency);
          rec.rampDelivered++;
        } else rec.holdLatency.recordValue(latency);
        own.recordValue(latency);
        byInstance?.recordValue(latency);
        if (!slow && rec.perSecond) rec.second(now).healthy.recordValue(latency);
        rec.addTimeline(now, latency);
        if (intendedAt < resumedAt) rec.recovered++;
        if (!firstSeen) {
          firstSeen = true;
          rec.firstEvent.recordValue(Math.max(1, Math.round(now - startedAt)));
        }
        return true;
      },
      request(wasted) {
        rec.counters.requests++;
        if (wasted) rec.counters.wasted++;
      },
      reconnect() {
        rec.counters.reconnects++;
        rec.second(nowMicros()).reconnects++;
      },
      error(kind) {
        rec.counters.errors++;
        rec.errorsByType[kind] = (rec.errorsByType[kind] ?? 0) + 1;
      },
    };
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

  private second(now: number): { connects: number; reconnects: number; healthy: Histogram } {
    const t = Math.floor((now - this.phaseStartMicros) / 1_000_000);
    let s = this.seconds.get(t);
    if (!s) this.seconds.set(t, (s = { connects: 0, reconnects: 0, healthy: newSparseHistogram() }));
    return s;
  }

  private addTimeline(now: number, latency: number): void {
    const t = Math.floor((now - this.phaseStartMicros) / 1_000_000);
    let p = this.timeline.get(t);
    if (!p) this.timeline.set(t, (p = { t, count: 0, sumMicros: 0, maxMicros: 0 }));
    p.count++;
    p.sumMicros += latency;
    if (latency > p.maxMicros) p.maxMicros = latency;
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
