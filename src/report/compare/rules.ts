import { UsageError } from '../../errors.js';
import { parseProtocols } from '../../protocols/registry.js';
import { METRICS, findMetric, type MetricDef, type MetricKind } from './metrics.js';

/**
 * absolute: the current value itself (`lost>0`, `p99>250ms`);
 * relative: the change in percent of the baseline (`p99>+10%`);
 * delta: the change in the metric's own unit (`p99>+5ms`; `wasted>+5%` is +5 percentage points).
 */
export type RuleMode = 'absolute' | 'relative' | 'delta';

/** One parsed --fail-on condition: the run fails when it holds. */
export interface Rule {
  /** as the user wrote it, trimmed */
  text: string;
  /** only this protocol, or every protocol when null */
  protocol: string | null;
  metric: MetricDef;
  op: '>' | '<';
  mode: RuleMode;
  /** absolute and delta: in the metric's unit (µs, count, percent, bytes); relative: percent */
  value: number;
}

/** The --fail-on help text: the grammar, the percentage-point rule and the metric names. */
export const FAIL_ON_HELP =
  'comma-separated limits that fail the run, each `metric>value` or `metric<value`, optionally `protocol:metric…`. ' +
  'A value is absolute (lost>0, p99>250ms, bytes-in>2KB, wasted>50%) or a signed change from the baseline ' +
  '(p99>+10% relative, p99>+5ms in the unit). On percentages a signed change is in percentage points: ' +
  'wasted>+5% fails when the wasted share grew by more than 5 points. ' +
  `Metrics: ${METRICS.map((m) => m.name).join(', ')}.`;

const GRAMMAR_HINT = 'write metric>value or metric<value, comma-separated, e.g. p99>+10%,lost>0,p99>250ms,wasted>+5%';

const ITEM =
  /^(?:([a-z][a-z0-9-]*)\s*:\s*)?([a-z][a-z0-9.%-]*?)\s*([<>])\s*([+-])?\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zµ%]*)$/i;

// Multipliers into each kind's stored unit (µs for latency, bytes for sizes).
const UNITS: Record<MetricKind, Record<string, number>> = {
  latency: { us: 1, µs: 1, ms: 1000, s: 1_000_000 },
  bytes: { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 * 1024, mb: 1024 * 1024 },
  count: { '': 1 },
  percent: { '': 1, '%': 1, pp: 1 },
};

const UNIT_HINT: Record<MetricKind, string> = {
  latency: 'a time with a unit (250ms, 1.5s, 800us) or a signed change (+10%, +5ms)',
  bytes: 'a size (512B, 2KB) or a signed change (+10%, +100B)',
  count: 'a whole count (0, 10) or a signed change (+10%, +5)',
  percent: 'a percentage (50%) or a signed change in percentage points (+5%)',
};

/** Parses --fail-on text such as 'p99>+10%,lost>0,wasted>+5%'; mistakes are UsageErrors. */
export function parseRules(text: string | undefined): Rule[] {
  if (text === undefined) return [];
  const items = text.split(',').map((s) => s.trim());
  if (items.every((s) => !s)) throw new UsageError('--fail-on is empty', GRAMMAR_HINT);
  return items.map((item) => {
    if (!item) throw new UsageError(`--fail-on "${text}" has an empty limit between commas`, GRAMMAR_HINT);
    return parseRule(item);
  });
}

function parseRule(item: string): Rule {
  const m = item.match(ITEM);
  if (!m) throw new UsageError(`--fail-on limit "${item}" is malformed`, GRAMMAR_HINT);
  const [, protocolText, metricName, op, sign, number, unitText] = m;
  const metric = findMetric(metricName);
  if (!metric)
    throw new UsageError(
      `--fail-on limit "${item}" names unknown metric "${metricName}"`,
      `use one of ${METRICS.map((x) => x.name).join(', ')}`,
    );
  const protocol = protocolText ? parseProtocols(protocolText)[0] : null;
  const unit = unitText.toLowerCase();
  const n = Number(number);
  const bad = () =>
    new UsageError(`--fail-on limit "${item}": ${metric.name} takes ${UNIT_HINT[metric.kind]}`, GRAMMAR_HINT);

  if (sign) {
    const signed = sign === '-' ? -n : n;
    // A percentage of a percentage would be ambiguous; on percentages a change is in points.
    if (unit === '%' && metric.kind !== 'percent')
      return { text: item, protocol, metric, op: op as Rule['op'], mode: 'relative', value: signed };
    const factor = UNITS[metric.kind][unit];
    if (factor === undefined || (unit === 'pp' && metric.kind !== 'percent')) throw bad();
    return { text: item, protocol, metric, op: op as Rule['op'], mode: 'delta', value: signed * factor };
  }
  if (unit === 'pp') throw bad();
  const factor = UNITS[metric.kind][unit];
  // A bare time is ambiguous (ms? s?) except 0, which is 0 in any unit.
  if (factor === undefined && !(metric.kind === 'latency' && unit === '' && n === 0)) throw bad();
  return { text: item, protocol, metric, op: op as Rule['op'], mode: 'absolute', value: n * (factor ?? 1) };
}
