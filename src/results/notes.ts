/**
 * The words of a results file's notes and a phase's failure: the engine reports what happened as
 * typed values, and this module (read by the runner and the reports) says it in English.
 */
import type { ProtocolResult } from './schema.js';

/** Why a phase that ran counts as failed (partial); the run goes on with the next protocol. */
export type PhaseFailure =
  /** fewer clients connected than asked by the end of the ramp + 10 s */
  | { kind: 'connect-shortfall'; connected: number; asked: number; rampMs: number }
  /** client worker processes died mid-phase, and their clients' figures with them */
  | { kind: 'workers-died'; workers: number; clients: number }
  /** events were published and no client received any */
  | { kind: 'silence'; published: number };

const n = (x: number) => x.toLocaleString('en-US');

/** One phase failure in a sentence without a final stop ("only 3 of 5 clients were connected by …"). */
export function describePhaseFailure(f: PhaseFailure): string {
  switch (f.kind) {
    case 'connect-shortfall':
      return (
        `only ${n(f.connected)} of ${n(f.asked)} clients were connected by the end of the ramp + 10 s ` +
        `(${((f.rampMs + 10_000) / 1000).toFixed(0)} s)`
      );
    case 'workers-died':
      return `${f.workers} client worker(s) died mid-phase; the figures of their ${n(f.clients)} clients are missing`;
    case 'silence':
      return `no client received any of the ${n(f.published)} events published`;
  }
}

/** A failed phase as the run's partial reason and as its note. */
export function failedPhaseWords(label: string, f: PhaseFailure): { reason: string; note: string } {
  const reason = `${label}: ${describePhaseFailure(f)}`;
  return { reason, note: `${reason}; the phase counts as failed (partial).` };
}

/** The note of a phase whose load generator was too busy to trust its latency, or null. */
export function saturationNote(label: string, result: Pick<ProtocolResult, 'generator' | 'latency'>): string | null {
  const g = result.generator;
  if (!g?.saturated) return null;
  return (
    `${label}: the load generator was saturated (event-loop delay p99: client workers ` +
    `${g.workerLoopDelayP99Ms} ms, publisher ${g.publisherLoopDelayP99Ms} ms, against a latency p99 of ` +
    `${(result.latency.p99 / 1000).toFixed(1)} ms); this latency is partly rtbench's own, not the server's.`
  );
}

/** The note of a phase whose client workers partly died while starting (the others took their clients), or null. */
export function workersDiedAtStartNote(label: string, result: Pick<ProtocolResult, 'layout'>): string | null {
  const died = result.layout?.workersDiedAtStart;
  if (!died) return null;
  const ran = result.layout!.workers;
  return (
    `${label}: ${died} client worker(s) exited while starting; their clients ran in the other ${ran}, so each ` +
    'carried more clients than planned (watch the generator health figures).'
  );
}

/**
 * A run's notes: how its figures are measured, then the phases' own notes. `serverNice`: the
 * bundled server's CPU priority when lowered (null: a target, or not lowered); `stress`: the run
 * measured slow consumers, faults or a backpressure policy.
 */
export function runNotes(o: { serverNice: number | null; stress: boolean }, phaseNotes: Iterable<string>): string[] {
  return [
    'Latency is intended publish time → receive time on one clock (every rtbench process maps the same ' +
      'monotonic clock to epoch time). Publish times come from a fixed schedule, so a stalled publisher or ' +
      'server shows up as latency (coordinated omission corrected).',
    'Polling and long-polling latency includes the wait for the next request. A wasted request is an answer ' +
      'that carried no new event.',
    'Bytes are counted at the client sockets (headers, framing and handshakes included) and divided by ' +
      'events delivered.',
    'Latency, loss and generator loop delay are for the hold (events intended after the ramp, all clients ' +
      "connected); the ramp's own figures are under `ramp` in the results. Lost counts both.",
    ...(o.serverNice ? [priorityNote(o.serverNice)] : []),
    'Memory per connection is approximate: a process RSS/heap delta after a forced GC divided by ' +
      'connections; allocator and GC behaviour add noise of a few KB per connection at small client counts.',
    ...new Set([...phaseNotes, ...(o.stress ? [STRESS_NOTE] : [])]),
  ];
}

const priorityNote = (nice: number) =>
  `The bundled server's processes ran at CPU priority nice ${nice} (rtbench's clients at 0): on a shared ` +
  `machine a client reads what the server has sent as soon as it arrives, so a burst's latency is the server's ` +
  `queue rather than the generator's (--server-nice 0 gives both the same priority).`;

const STRESS_NOTE =
  'Stress figures: the server is read once a second (RSS, bytes buffered for clients, events dropped and ' +
  'clients closed by its backpressure policy, event-loop delay); healthy and slow clients keep separate ' +
  'latency histograms; reconnect time runs from a transport going down to it being up again; recovered events ' +
  'are those delivered on a re-established connection that were due before it was up (resume worked); missed = ' +
  'recovered + lost for good.';
