import { nowMicros } from '../clock.js';
import type { ClientEvents } from '../protocols/types.js';
import { newHistogram, encodeHistogram, type Histogram } from './histogram.js';
import { SequenceTracker } from './sequence.js';

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
}

export function emptyCounters(): Counters {
  return { delivered: 0, lost: 0, duplicated: 0, reordered: 0, requests: 0, wasted: 0, reconnects: 0, errors: 0, disconnects: 0 };
}

/** Collects the measurements of all clients of one protocol in one process. */
export class ProtocolRecorder {
  readonly latency: Histogram = newHistogram();
  readonly connect: Histogram = newHistogram();
  readonly firstEvent: Histogram = newHistogram();
  readonly counters: Counters = emptyCounters();
  readonly errorsByType: Record<string, number> = {};
  private readonly trackers: SequenceTracker[] = [];
  private readonly timeline = new Map<number, TimelinePoint>();
  connectedNow = 0;
  connectedPeak = 0;

  constructor(private readonly phaseStartMicros: number) {}

  /**
   * The ClientEvents sink of one client, started now. A client of `room` out of `rooms` expects
   * only seqs of its room; another room's event is counted as a `wrong-room` error.
   */
  clientEvents(room = 0, rooms = 1): ClientEvents {
    let startedAt = nowMicros();
    const tracker = new SequenceTracker(rooms);
    this.trackers.push(tracker);
    let up = false;
    let everConnected = false;
    let firstSeen = false;
    const rec = this;
    return {
      attempt() {
        if (!everConnected) startedAt = nowMicros();
      },
      connected() {
        if (up) return;
        up = true;
        rec.connectedNow++;
        if (rec.connectedNow > rec.connectedPeak) rec.connectedPeak = rec.connectedNow;
        if (!everConnected) {
          everConnected = true;
          rec.connect.recordValue(Math.max(1, Math.round(nowMicros() - startedAt)));
        }
      },
      disconnected() {
        if (!up) return;
        up = false;
        rec.connectedNow--;
        rec.counters.disconnects++;
      },
      delivered(seq, intendedAt) {
        if (rooms > 1 && (seq - 1) % rooms !== room) {
          rec.counters.errors++;
          rec.errorsByType['wrong-room'] = (rec.errorsByType['wrong-room'] ?? 0) + 1;
          return false;
        }
        if (!tracker.accept(seq)) return false;
        const now = nowMicros();
        const latency = Math.max(1, Math.round(now - intendedAt));
        rec.latency.recordValue(latency);
        rec.addTimeline(now, latency);
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
      },
      error(kind) {
        rec.counters.errors++;
        rec.errorsByType[kind] = (rec.errorsByType[kind] ?? 0) + 1;
      },
    };
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
  snapshot(lastPublished: number | null, neverPublished: ReadonlySet<number> = new Set()): RecorderSnapshot {
    const c = { ...this.counters, delivered: 0, lost: 0, duplicated: 0, reordered: 0 };
    for (const t of this.trackers) {
      if (lastPublished !== null) t.finish(lastPublished, neverPublished);
      c.delivered += t.delivered;
      c.lost += t.lost;
      c.duplicated += t.duplicated;
      c.reordered += t.reordered;
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
    };
  }

  /** Clients that never saw any event (their losses cannot be counted from a start point). */
  silentClients(): number {
    return this.trackers.filter((t) => !t.started).length;
  }
}
