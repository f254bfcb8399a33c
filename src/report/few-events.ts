import { resultLabel } from '../results/result-label.js';
import type { ProtocolResult, RunResults } from '../results/schema.js';
import { eventsBehind } from './compare/noise.js';
import type { Rule } from './compare/rules.js';

/** The start every warning about too few events has, so the summary shows it without --verbose. */
export const FEW_EVENTS_PREFIX = 'Too few events:';

/** Latency percentiles by metric name, as fractions (connect and first-event times are one per client). */
const PERCENTILES: Record<string, number> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99, p999: 0.999 };

/** Events a percentile needs before it is more than the slowest event's latency: p99 → 100, p99.9 → 1000. */
export function eventsNeeded(q: number): number {
  return Math.round(1 / (1 - q));
}

const shown = (name: string) => (name === 'p999' ? 'p99.9' : name);

/**
 * One warning per percentile that rests on fewer events than it needs, naming the protocols: the
 * deliveries of one event share its publish and fan-out delay, so a p99 of 7 events is about the
 * slowest event's latency, and repeat runs differ widely. `names` are metric names (p95, p99, …);
 * others are ignored.
 */
export function fewEventsWarnings(protocols: ProtocolResult[], names: Iterable<string>, run = 'this run'): string[] {
  const out: string[] = [];
  for (const name of new Set(names)) {
    const q = PERCENTILES[name];
    if (q === undefined) continue;
    const needed = eventsNeeded(q);
    const few = protocols
      .map((p) => ({ label: resultLabel(p), events: eventsBehind(p) }))
      .filter((x): x is { label: string; events: number } => x.events !== null && x.events < needed);
    if (!few.length) continue;
    const counts = few.map((x) => x.events);
    const low = Math.min(...counts);
    const high = Math.max(...counts);
    out.push(
      `${FEW_EVENTS_PREFIX} ${shown(name)} of ${few.map((x) => x.label).join(', ')} in ${run} rests on ` +
        `${low === high ? low : `${low}–${high}`} events (a ${shown(name)} needs ${needed}): the deliveries of one ` +
        'event move together, so repeat runs can differ widely; run longer, at a higher --rate, or with --repeat.',
    );
  }
  return out;
}

/** The percentiles a run's summary shows (p50, p99) and those its limits check. */
export function runWarnings(results: RunResults, rules: Rule[]): string[] {
  return fewEventsWarnings(results.protocols, ['p99', ...rules.map((r) => r.metric.name)]);
}
