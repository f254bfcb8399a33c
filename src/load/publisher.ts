import { Pool } from 'undici';
import { nowMicros } from '../clock.js';
import { encodeEvent } from '../events/marker.js';
import { roomOfSeq, withRoom } from '../protocols/rooms.js';
import { isCertificateRefusal, tlsTrustOptions, type TlsTrust } from '../protocols/tls-trust.js';
import { HttpPublishTransport, type PublishTransport } from './publish-transport.js';

export interface PublisherOptions {
  baseUrl: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** https://: which server certificates to accept */
  tls?: TlsTrust;
  tag: string;
  payloadBytes: number;
  /** event k goes to room (k−1) mod rooms, through the {room} placeholder of `path` */
  rooms: number;
  /** events per second */
  rate: number;
  /** epoch µs of event 1's intended publish time */
  startMicros: number;
  /** called once when the target stopped accepting events (consecutive failures over 3 s) */
  onTargetDown?: (reason: string) => void;
  /** true while the run itself has the server down (a restart fault): failures then are not a dead target */
  downOnPurpose?: () => boolean;
  /** how events travel (default: HTTP to baseUrl + method + path) */
  transport?: PublishTransport;
}

/**
 * Publishes event k at intended time start + (k−1)/rate, one request at a time so the server
 * sees them in order. Each event carries its *intended* time: if the publisher or the server
 * stalls, the backlog goes out late but keeps its schedule time, so the stall shows up as
 * latency instead of hiding (coordinated omission).
 */
export class Publisher {
  private readonly transport: PublishTransport;
  private readonly intervalMicros: number;
  private nextSeq = 1;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private failingSince = 0;
  /** highest seq the target acknowledged */
  lastAcked = 0;
  acked = 0;
  failures = 0;
  readonly failuresByType: Record<string, number> = {};
  /** seqs that were never accepted: no client can get them, so they are not counted lost */
  readonly failedSeqs: number[] = [];

  constructor(private readonly o: PublisherOptions) {
    this.transport = o.transport ?? new HttpPublishTransport(o.baseUrl, o.method, o.path, o.headers, o.tls);
    this.intervalMicros = 1_000_000 / o.rate;
  }

  start(): void {
    this.running = this.loop();
  }

  private dueAt(seq: number): number {
    return this.o.startMicros + (seq - 1) * this.intervalMicros;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const wait = (this.dueAt(this.nextSeq) - nowMicros()) / 1000;
      if (wait > 0) {
        await new Promise<void>((r) => {
          this.wake = r;
          this.timer = setTimeout(r, Math.max(1, wait));
        });
        continue;
      }
      const seq = this.nextSeq++;
      await this.publish(seq, this.dueAt(seq));
    }
  }

  private async publish(seq: number, intendedAt: number): Promise<void> {
    const body = encodeEvent(this.o.tag, seq, intendedAt, this.o.payloadBytes);
    const problem = await this.transport.send(roomOfSeq(seq, this.o.rooms), body);
    if (problem) return this.fail(seq, problem);
    this.acked++;
    this.lastAcked = seq;
    this.failingSince = 0;
  }

  private fail(seq: number, kind: string): void {
    this.failures++;
    this.failedSeqs.push(seq);
    this.failuresByType[kind] = (this.failuresByType[kind] ?? 0) + 1;
    const now = Date.now();
    if (this.o.downOnPurpose?.()) this.failingSince = 0;
    else if (!this.failingSince) this.failingSince = now;
    else if (now - this.failingSince > 3000 && this.o.onTargetDown) {
      const cb = this.o.onTargetDown;
      this.o.onTargetDown = undefined;
      cb(`the target stopped accepting published events (${kind})`);
    }
  }

  /** Highest seq published so far (acknowledged or not). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.running;
    await this.transport.close();
  }
}

/** Sends one probe event and throws a one-line error if the target cannot take it. */
export async function probePublish(
  o: Pick<PublisherOptions, 'baseUrl' | 'method' | 'path' | 'headers' | 'tls'>,
): Promise<string | null> {
  const pool = new Pool(o.baseUrl, {
    connections: 1,
    connectTimeout: 3000,
    headersTimeout: 5000,
    connect: tlsTrustOptions(o.tls),
  });
  try {
    const res = await pool.request({
      path: withRoom(o.path, 0),
      method: o.method,
      headers: { 'content-type': 'application/json', ...o.headers },
      body: '{"m":"~rtb:probe:0:0~"}',
    });
    await res.body.dump();
    if (res.statusCode < 200 || res.statusCode >= 300)
      return `publish endpoint ${o.method} ${o.path} answered HTTP ${res.statusCode}`;
    return null;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (isCertificateRefusal(err)) return `${o.baseUrl}: its TLS certificate was refused (${err.code})`;
    return `cannot reach ${o.baseUrl} (${err.code ?? err.message})`;
  } finally {
    await pool.destroy().catch(() => {});
  }
}
