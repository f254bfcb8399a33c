import type { RunResults } from '../../results/schema.js';
import { formatBytes, formatMs } from '../../scenario/units.js';
import { differenceNoise, eventsBehind, histogramOf, quantileUncertainty } from '../compare/noise.js';
import { seriesLabel } from './labels.js';
import type { ReportProtocol } from './types.js';
import { tlsCostSentence } from '../tls-cost.js';
import { http2Sentence } from '../http2-table.js';

export type VerdictTopic =
  'latency-p50' | 'latency-p99' | 'bytes' | 'server-memory' | 'wasted' | 'delivery' | 'tls-cost' | 'http2';

/** One plain sentence about who wins what, computed from the numbers. */
export interface VerdictLine {
  topic: VerdictTopic;
  heading: string;
  text: string;
  /** the protocol that wins this topic; null when nobody can (no data, or a tie) */
  winner: string | null;
}

/** Two values closer than this (relative) are a tie where no sampling noise is known. */
const TIE = 0.02;
/** Standard deviations of sampling noise within which two latency percentiles tie. */
const SIGMAS = 3;

interface Entry {
  p: ReportProtocol;
  value: number;
}

const name = (p: ReportProtocol) => seriesLabel(p);

/** "A", "A and B", "A, B and C" */
export function listOf(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function ranked(protocols: ReportProtocol[], value: (p: ReportProtocol) => number | null): Entry[] {
  return protocols
    .map((p) => ({ p, value: value(p) }))
    .filter((e): e is Entry => e.value !== null && Number.isFinite(e.value))
    .sort((a, b) => a.value - b.value);
}

function ratio(best: number, worst: number): string {
  if (best <= 0) return '';
  const r = worst / best;
  return r >= 2 ? ` (${r >= 10 ? Math.round(r) : r.toFixed(1)}× lower)` : '';
}

/** Protocols with nothing to rank, as a trailing sentence: "SSE delivered no events." */
function absentSentence(missing: ReportProtocol[], what: string): string {
  return missing.length ? ` ${listOf(missing.map(name))} ${what}.` : '';
}

function latencyLine(protocols: ReportProtocol[], key: 'p50' | 'p99'): VerdictLine {
  const topic: VerdictTopic = key === 'p50' ? 'latency-p50' : 'latency-p99';
  const heading = key === 'p50' ? 'Median latency (p50)' : 'Tail latency (p99)';
  const delivering = protocols.filter((p) => p.delivered > 0 && p.latency.count > 0);
  const silent = absentSentence(
    protocols.filter((p) => !delivering.includes(p)),
    'delivered no events',
  );
  const list = ranked(delivering, (p) => p.latency[key]);
  if (!list.length)
    return {
      topic,
      heading,
      text: 'No protocol delivered any event, so there is no latency to compare.',
      winner: null,
    };
  const [best, second] = list;
  const worst = list[list.length - 1];
  if (list.length === 1)
    return {
      topic,
      heading,
      text: `Only ${name(best.p)} delivered events: ${key} ${formatMs(best.value)}.${silent}`,
      winner: best.p.protocol,
    };
  if (latencyTie(best, second, key)) {
    const rest = list.length > 2 ? `; ${name(worst.p)} was slowest at ${formatMs(worst.value)}` : '';
    return {
      topic,
      heading,
      text:
        `${name(best.p)} and ${name(second.p)} tie at ${key}: ${formatMs(best.value)} and ` +
        `${formatMs(second.value)}, within measurement noise${rest}.${silent}`,
      winner: null,
    };
  }
  return {
    topic,
    heading,
    text:
      `${name(best.p)} delivered events fastest: ${key} ${formatMs(best.value)} vs ` +
      `${formatMs(worst.value)} for ${name(worst.p)}${ratio(best.value, worst.value)}.${silent}`,
    winner: best.p.protocol,
  };
}

/** Percentiles tie when their difference is within what each histogram's sampling explains. */
function latencyTie(a: Entry, b: Entry, key: 'p50' | 'p99'): boolean {
  const q = key === 'p50' ? 0.5 : 0.99;
  const ha = histogramOf(a.p.latency);
  const hb = histogramOf(b.p.latency);
  const noise =
    ha && hb
      ? differenceNoise(
          quantileUncertainty(ha, q, SIGMAS, eventsBehind(a.p)),
          quantileUncertainty(hb, q, SIGMAS, eventsBehind(b.p)),
          b.value - a.value,
        )
      : null;
  return b.value - a.value <= (noise ?? a.value * TIE);
}

function bytesLine(protocols: ReportProtocol[]): VerdictLine {
  const topic = 'bytes';
  const heading = 'Bytes per delivered event';
  const delivering = protocols.filter((p) => p.delivered > 0);
  const list = ranked(delivering, (p) => p.bytes.inPerEvent + p.bytes.outPerEvent);
  const silent = absentSentence(
    protocols.filter((p) => !delivering.includes(p)),
    'delivered no events, so has no cost per event',
  );
  if (!list.length)
    return {
      topic,
      heading,
      text: 'No protocol delivered any event, so there is no cost per event to compare.',
      winner: null,
    };
  const [best, second] = list;
  const worst = list[list.length - 1];
  if (list.length === 1)
    return {
      topic,
      heading,
      text: `Only ${name(best.p)} delivered events: ${formatBytes(best.value)} per event (in + out).${silent}`,
      winner: best.p.protocol,
    };
  if (second.value - best.value <= best.value * TIE) {
    return {
      topic,
      heading,
      text:
        `${name(best.p)} and ${name(second.p)} tie for the fewest bytes per delivered event: ` +
        `${formatBytes(best.value)} and ${formatBytes(second.value)} (in + out).${silent}`,
      winner: null,
    };
  }
  return {
    topic,
    heading,
    text:
      `${name(best.p)} moved the fewest bytes per delivered event: ${formatBytes(best.value)} (in + out) ` +
      `vs ${formatBytes(worst.value)} for ${name(worst.p)}${ratio(best.value, worst.value)}.${silent}`,
    winner: best.p.protocol,
  };
}

/** RSS differences at or below zero mean the cost was below what RSS sampling can resolve. */
function memory(v: number): string {
  return v > 0 ? formatBytes(v) : 'too small to measure';
}

function serverMemoryLine(protocols: ReportProtocol[]): VerdictLine {
  const topic = 'server-memory';
  const heading = 'Server memory per connection';
  // A reading at or below zero is not the least memory: the process freed more than the
  // connections took (GC, allocator), so it is below what the method resolves and ranks nowhere.
  const list = ranked(protocols, (p) => (p.server && p.server.rssPerConnection > 0 ? p.server.rssPerConnection : null));
  const unmeasured = protocols.filter((p) => !p.server);
  const unresolved = protocols.filter((p) => p.server && !(p.server.rssPerConnection > 0));
  const missing =
    (unmeasured.length
      ? ` Not measured for ${listOf(unmeasured.map(name))} (no server metrics, or no open connections to divide by).`
      : '') +
    (unresolved.length
      ? ` ${listOf(unresolved.map(name))}: below what the method resolves (the server's RSS fell while they ` +
        `connected), not ranked.`
      : '');
  if (!list.length && unresolved.length)
    return {
      topic,
      heading,
      text: `No protocol's server memory reading was large enough to rank.${missing}`,
      winner: null,
    };
  if (!list.length)
    return {
      topic,
      heading,
      text:
        'Server memory was not measured for any protocol: the target exposed no metrics endpoint, or no ' +
        'connection stayed open.',
      winner: null,
    };
  const [best, second] = list;
  const worst = list[list.length - 1];
  if (list.length === 1)
    return {
      topic,
      heading,
      text: `Only ${name(best.p)} has a server memory reading: ${memory(best.value)} per connection.${missing}`,
      winner: best.p.protocol,
    };
  if (second.value - best.value <= Math.abs(best.value) * TIE) {
    return {
      topic,
      heading,
      text:
        `${name(best.p)} and ${name(second.p)} tie for the least server memory per connection: ` +
        `${memory(best.value)} and ${memory(second.value)}.${missing}`,
      winner: null,
    };
  }
  return {
    topic,
    heading,
    text:
      `${name(best.p)} used the least server memory per connection: ${memory(best.value)} vs ` +
      `${memory(worst.value)} for ${name(worst.p)}${ratio(best.value, worst.value)}.${missing}`,
    winner: best.p.protocol,
  };
}

const pct = (v: number) => `${v.toFixed(1)}%`;
const count = (n: number) => n.toLocaleString('en-US');

function wastedLine(protocols: ReportProtocol[]): VerdictLine {
  const topic = 'wasted';
  const heading = 'Wasted requests';
  const none = protocols.filter((p) => p.wasted === 0);
  const some = ranked(
    protocols.filter((p) => p.wasted > 0),
    (p) => p.wastedPct,
  );
  if (!some.length)
    return {
      topic,
      heading,
      text: protocols.length ? 'No protocol wasted a request: every request carried news.' : 'No protocol ran.',
      winner: null,
    };
  const worst = some[some.length - 1];
  const worstText = `${pct(worst.value)} of its requests (${count(worst.p.wasted)} of ${count(worst.p.requests)})`;
  if (none.length) {
    const best = some.length > 1 ? ` vs ${pct(some[0].value)} for ${name(some[0].p)}` : '';
    return {
      topic,
      heading,
      text: `${listOf(none.map(name))} wasted no requests; ${name(worst.p)} wasted the most: ${worstText}${best}.`,
      winner: none.length === 1 ? none[0].protocol : null,
    };
  }
  if (some.length === 1) return { topic, heading, text: `${name(worst.p)} wasted ${worstText}.`, winner: null };
  return {
    topic,
    heading,
    text: `${name(some[0].p)} wasted the fewest requests: ${pct(some[0].value)} vs ${worstText} for ${name(worst.p)}.`,
    winner: some[0].p.protocol,
  };
}

function deliveryLine(protocols: ReportProtocol[]): VerdictLine {
  const topic = 'delivery';
  const heading = 'Delivery';
  const problems = protocols.flatMap((p) => {
    if (!p.delivered) {
      const errors = Object.entries(p.errorsByType).map(([k, v]) => `${k} ${count(v)}`);
      return [`${name(p)} delivered no events${errors.length ? ` (errors: ${errors.join(', ')})` : ''}.`];
    }
    const parts = [
      p.lost ? `lost ${count(p.lost)} events (${((p.lost / (p.delivered + p.lost)) * 100).toFixed(2)}%)` : '',
      p.duplicated ? `got ${count(p.duplicated)} duplicates` : '',
      p.reordered ? `reordered ${count(p.reordered)} events` : '',
    ].filter(Boolean);
    return parts.length ? [`${name(p)} ${listOf(parts)}.`] : [];
  });
  if (!protocols.length) return { topic, heading, text: 'No protocol ran.', winner: null };
  return {
    topic,
    heading,
    text: problems.length
      ? problems.join(' ')
      : `${protocols.length > 1 ? 'Every protocol' : name(protocols[0])} delivered every event in order, ` +
        `without duplicates.`,
    winner: null,
  };
}

/** The report's verdict: one line per topic, in reading order. */
export function verdict(results: RunResults): VerdictLine[] {
  const protocols = results.protocols;
  return [
    latencyLine(protocols, 'p50'),
    latencyLine(protocols, 'p99'),
    bytesLine(protocols),
    serverMemoryLine(protocols),
    wastedLine(protocols),
    deliveryLine(protocols),
    ...tlsLine(results),
    ...http2Line(results),
  ];
}

/** With `--http 1.1,2`: what HTTP/2 changed for each protocol against its HTTP/1.1 run. */
function http2Line(results: RunResults): VerdictLine[] {
  const text = http2Sentence(results);
  return text ? [{ topic: 'http2', heading: 'HTTP/2', text, winner: null }] : [];
}

/** With `--tls off,on`: what TLS cost each protocol against its plaintext run. */
function tlsLine(results: RunResults): VerdictLine[] {
  const text = tlsCostSentence(results);
  return text ? [{ topic: 'tls-cost', heading: 'TLS cost', text, winner: null }] : [];
}
