import { resultLabel } from '../../results/result-label.js';
import type { ProtocolResult, RunResults } from '../../results/schema.js';
import { formatDelta, formatRelative, formatValue, trimNumber } from './format-values.js';
import { METRICS, type MetricDef, type MetricKind } from './metrics.js';
import { differenceNoise, eventsBehind, noiseMethod } from './noise.js';
import type { Rule } from './rules.js';
import { fewEventsWarnings } from '../few-events.js';
import { spreadNoise } from '../spread.js';
import { eventsNeeded } from '../few-events.js';
import { tailShift, type TailShift } from './event-tails.js';

/** Standard deviations of sampling noise a change must exceed before a relative limit can fail. */
export const DEFAULT_SIGMAS = 3;

export type RuleStatus = 'pass' | 'fail' | 'noise' | 'skipped';

/** One metric of one protocol in both runs. */
export interface MetricComparison {
  protocol: string;
  metric: string;
  label: string;
  kind: MetricKind;
  baseline: number | null;
  current: number | null;
  /** current − baseline, in the metric's unit */
  delta: number | null;
  /** change in percent of the baseline; Infinity when it grew from 0 */
  relative: number | null;
  /** the part of |delta| the runs' own sampling variation explains; null when not estimable */
  noise: number | null;
  /** the values differ, but by no more than noise */
  withinNoise: boolean;
  /** a tail percentile on too few events: whether the events themselves moved (null when not tested) */
  tailShift: TailShift | null;
  /** the worst outcome of the limits on this row, 'none' when no limit applies */
  status: RuleStatus | 'none';
  /** the limits that applied to this row and how each came out */
  rules: Array<{ rule: string; status: RuleStatus }>;
}

/** One limit applied to one protocol. */
export interface RuleOutcome {
  rule: string;
  protocol: string;
  metric: string;
  status: RuleStatus;
  /** one line, e.g. "FAIL websocket p99 +23.4% > +10% (4.10 ms → 5.06 ms)" */
  message: string;
}

export interface RunSummary {
  name: string | null;
  startedAt: string;
  partial: boolean;
  toolVersion: string;
}

export interface Comparison {
  baseline: RunSummary;
  current: RunSummary;
  sigmas: number;
  protocols: string[];
  rows: MetricComparison[];
  outcomes: RuleOutcome[];
  /** true when at least one limit is broken */
  failed: boolean;
  /** things that make the comparison less like for like */
  notes: string[];
  /** how noise was estimated, for the footnote */
  method: string[];
}

export interface CompareOptions {
  /** noise allowance in standard deviations; 0 turns noise awareness off */
  sigmas?: number;
}

/** Compares every metric of every protocol and applies the limits; pure, for tests and CI. */
export function compareRuns(
  baseline: RunResults,
  current: RunResults,
  rules: Rule[],
  options: CompareOptions = {},
): Comparison {
  const sigmas = options.sigmas ?? DEFAULT_SIGMAS;
  // Rows are keyed by protocol and variant: "websocket · drop-oldest" compares with its namesake only.
  const byName = (r: RunResults) => new Map<string, ProtocolResult>(r.protocols.map((p) => [resultLabel(p), p]));
  const base = byName(baseline);
  const cur = byName(current);
  const protocols = [...new Set([...base.keys(), ...cur.keys()])];

  const rows: MetricComparison[] = [];
  for (const protocol of protocols)
    for (const metric of METRICS)
      rows.push(compareMetric(protocol, metric, base.get(protocol), cur.get(protocol), sigmas));

  const outcomes: RuleOutcome[] = [];
  for (const rule of rules) {
    // A protocol named in a limit covers each of its variants ("websocket" → "websocket · drop-oldest").
    const variants = rule.protocol
      ? protocols.filter((k) => k === rule.protocol || k.startsWith(`${rule.protocol} · `))
      : [];
    const targets = rule.protocol ? (variants.length ? variants : [rule.protocol]) : protocols;
    for (const protocol of targets) {
      const row = rows.find((r) => r.protocol === protocol && r.metric === rule.metric.name);
      const outcome = applyRule(rule, protocol, row, cur.has(protocol));
      outcomes.push(outcome);
      if (row) {
        row.rules.push({ rule: rule.text, status: outcome.status });
        row.status = worse(row.status, outcome.status);
      }
    }
  }

  return {
    baseline: summary(baseline),
    current: summary(current),
    sigmas,
    protocols,
    rows,
    outcomes,
    failed: outcomes.some((o) => o.status === 'fail'),
    notes: comparabilityNotes(baseline, current, rules),
    method: noiseMethod(sigmas),
  };
}

function compareMetric(
  protocol: string,
  metric: MetricDef,
  b: ProtocolResult | undefined,
  c: ProtocolResult | undefined,
  sigmas: number,
): MetricComparison {
  const baseline = b ? metric.value(b) : null;
  const current = c ? metric.value(c) : null;
  const both = baseline !== null && current !== null;
  const delta = both ? current - baseline : null;
  const relative = !both
    ? null
    : baseline !== 0
      ? ((current - baseline) / Math.abs(baseline)) * 100
      : current === 0
        ? 0
        : current > 0
          ? Infinity
          : -Infinity;
  // Repeated runs (run --repeat) measured their own run-to-run spread: a better band than sampling theory.
  const spread = delta === null || !b || !c ? null : spreadNoise(metric.name, b, c, sigmas);
  const noise =
    delta === null || !b || !c
      ? null
      : (spread ?? differenceNoise(metric.uncertainty(b, sigmas), metric.uncertainty(c, sigmas), delta));
  const shift =
    delta && b && c && spread === null && sigmas > 0 && restsOnFewEvents(metric, b, c)
      ? tailShift(b, c, delta > 0, sigmas)
      : null;
  const insideBand = delta !== null && delta !== 0 && noise !== null && Math.abs(delta) <= noise;
  return {
    protocol,
    metric: metric.name,
    label: metric.label,
    kind: metric.kind,
    baseline,
    current,
    delta,
    relative,
    noise,
    withinNoise: insideBand || (shift !== null && !shift.significant),
    tailShift: shift,
    status: 'none',
    rules: [],
  };
}

/** A tail percentile either run holds fewer events for than it needs (the maximum always does). */
function restsOnFewEvents(metric: MetricDef, b: ProtocolResult, c: ProtocolResult): boolean {
  const q = metric.tailQuantile;
  if (q === undefined) return false;
  if (q >= 1) return true;
  return [b, c].some((p) => (eventsBehind(p) ?? Infinity) < eventsNeeded(q));
}

const SEVERITY: Record<RuleStatus | 'none', number> = { none: 0, skipped: 1, pass: 2, noise: 3, fail: 4 };

function worse(a: RuleStatus | 'none', b: RuleStatus): RuleStatus | 'none' {
  return SEVERITY[b] > SEVERITY[a] ? b : a;
}

/** The limit as it reads in messages: +10%, +5 pp, +5.00 ms, 250 ms, 0. */
export function formatLimit(rule: Rule): string {
  const sign = rule.value > 0 ? '+' : rule.value < 0 ? '-' : '';
  if (rule.mode === 'relative') return `${sign}${trimNumber(Math.abs(rule.value))}%`;
  if (rule.mode === 'delta')
    return rule.metric.kind === 'percent'
      ? `${sign}${trimNumber(Math.abs(rule.value))} pp`
      : `${sign}${formatValue(rule.metric.kind, Math.abs(rule.value))}`;
  return formatValue(rule.metric.kind, rule.value);
}

/** Whether `observed` (the value, or its change, in the rule's own terms) is past the limit. */
export function breaks(rule: Rule, observed: number): boolean {
  return rule.op === '>' ? observed > rule.value : observed < rule.value;
}

function applyRule(rule: Rule, protocol: string, row: MetricComparison | undefined, inCurrent: boolean): RuleOutcome {
  const name = `${protocol} ${rule.metric.name}`;
  const out = (status: RuleStatus, message: string): RuleOutcome => ({
    rule: rule.text,
    protocol,
    metric: rule.metric.name,
    status,
    message,
  });
  // A limit on a protocol the current run lacks must not pass silently: the gate would be empty.
  if (!inCurrent || !row) return out('fail', `FAIL ${protocol} is missing from the current run (${rule.text})`);
  if (row.current === null) return out('skipped', `skip ${name}: not measured in the current run (${rule.text})`);

  const kind = rule.metric.kind;
  const limit = formatLimit(rule);
  const values = `(${formatValue(kind, row.baseline)} → ${formatValue(kind, row.current)})`;
  let observed: number;
  let shown: string;
  if (rule.mode === 'absolute') {
    observed = row.current;
    shown = formatValue(kind, row.current);
  } else {
    if (row.baseline === null || row.delta === null || row.relative === null)
      return out('skipped', `skip ${name}: no baseline value to compare with (${rule.text})`);
    observed = rule.mode === 'relative' ? row.relative : row.delta;
    shown = rule.mode === 'relative' ? formatRelative(row.relative) : formatDelta(kind, row.delta);
  }
  const broken = breaks(rule, observed);
  const opposite = rule.op === '>' ? '≤' : '≥';
  if (!broken) return out('pass', `ok   ${name} ${shown} ${opposite} ${limit}`);
  // Absolute limits are the user's own line in the sand; only changes are judged against noise.
  if (rule.mode !== 'absolute' && row.withinNoise) {
    return out('noise', `ok   ${name} ${shown} ${rule.op} ${limit} but within noise (${noiseReason(row)}) ${values}`);
  }
  return out('fail', `FAIL ${name} ${shown} ${rule.op} ${limit}${rule.mode === 'absolute' ? '' : ` ${values}`}`);
}

/** Why a change counts as noise: its band, or the rank tests its events did not pass. */
function noiseReason(row: MetricComparison): string {
  const t = row.tailShift;
  if (!t || t.significant) return `±${formatNoise(row)}`;
  const moved = (row.delta ?? 0) > 0 ? 'higher' : 'lower';
  const which = t.tests.map((x) => x.of).join(' and ');
  const ps = t.tests.map((x) => formatP(x.pValue)).join(' and ');
  return (
    `its per-second ${which} latencies are not significantly ${moved}: rank test p = ${ps} > ` +
    `${formatP(t.alpha)} over ${t.seconds.join(' / ')} s`
  );
}

function formatP(p: number): string {
  return p >= 0.01 ? p.toFixed(2) : p.toPrecision(2);
}

/** The noise band of a row, in the form its change is shown. */
export function formatNoise(row: MetricComparison): string {
  if (row.noise === null) return '–';
  if (row.kind === 'percent') return `${row.noise.toFixed(1)} pp`;
  if (row.baseline) return `${((row.noise / Math.abs(row.baseline)) * 100).toFixed(1)}%`;
  return formatValue(row.kind, row.noise);
}

function summary(r: RunResults): RunSummary {
  return { name: r.params.name, startedAt: r.startedAt, partial: r.partial, toolVersion: r.tool.version };
}

/** Differences between the runs' setups that make a comparison less like for like. */
function comparabilityNotes(b: RunResults, c: RunResults, rules: Rule[]): string[] {
  const notes: string[] = [];
  if (b.partial) notes.push(`The baseline is a partial run${b.partialReason ? ` (${b.partialReason})` : ''}.`);
  if (c.partial) notes.push(`The current run is a partial run${c.partialReason ? ` (${c.partialReason})` : ''}.`);
  const changed = (x: Record<string, unknown>, y: Record<string, unknown>) =>
    [...new Set([...Object.keys(x), ...Object.keys(y)])]
      .filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]))
      .map((k) => `${k} ${show(x[k])} → ${show(y[k])}`);
  const params = changed(b.params, c.params);
  if (params.length) notes.push(`The runs' parameters differ: ${params.join('; ')}.`);
  const machine = changed(b.machine, c.machine);
  if (machine.length) notes.push(`The runs were made on different machines: ${machine.join('; ')}.`);
  const onlyIn = (x: RunResults, y: RunResults) =>
    x.protocols.map(resultLabel).filter((p) => !y.protocols.some((q) => resultLabel(q) === p));
  if (onlyIn(b, c).length) notes.push(`Only in the baseline: ${onlyIn(b, c).join(', ')}.`);
  if (onlyIn(c, b).length) notes.push(`Only in the current run: ${onlyIn(c, b).join(', ')}.`);
  for (const [run, r] of [
    ['baseline', b],
    ['current run', c],
  ] as const) {
    const runs = r.protocols.find((p) => p.spread)?.spread?.runs;
    if (runs)
      notes.push(
        `The ${run} merges ${runs} repeated runs: their run-to-run spread (k standard deviations × √(1/Nb + 1/Nc)) ` +
          'is the noise band of percentiles, shares and per-event figures; its counts are sums over the runs.',
      );
  }
  // The percentiles the limits check, and p99 (the one people read): each needs enough events.
  const checked = ['p99', ...rules.map((r) => r.metric.name)];
  notes.push(...fewEventsWarnings(b.protocols, checked, 'the baseline'));
  notes.push(...fewEventsWarnings(c.protocols, checked, 'the current run'));
  return notes;
}

function show(v: unknown): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}
