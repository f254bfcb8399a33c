import { formatNoise, type Comparison, type MetricComparison } from './compare.js';
import { formatDelta, formatRelative, formatValue } from './format-values.js';

/** The change column: points for percentages, a difference for counts, percent of baseline otherwise. */
export function formatChange(row: MetricComparison): string {
  if (row.delta === null || row.relative === null) return '–';
  if (row.delta === 0) return '0';
  if (row.kind === 'percent' || row.kind === 'count') return formatDelta(row.kind, row.delta);
  return formatRelative(row.relative);
}

/** The status column: which limit broke, or that the difference is only noise. */
export function formatStatus(row: MetricComparison): string {
  const byStatus: Record<MetricComparison['status'], string> = {
    fail: `FAIL ${row.rules
      .filter((r) => r.status === 'fail')
      .map((r) => r.rule)
      .join(', ')}`,
    noise: 'within noise',
    pass: 'ok',
    skipped: 'skipped',
    none: row.withinNoise ? 'within noise' : '',
  };
  return byStatus[row.status];
}

/** The cells of one table row, shared by the terminal and markdown tables. */
export function rowCells(row: MetricComparison): string[] {
  return [
    row.label,
    formatValue(row.kind, row.baseline),
    formatValue(row.kind, row.current),
    formatChange(row),
    row.noise === null ? '' : `±${formatNoise(row)}`,
    formatStatus(row),
  ];
}

/** Column heads after the protocol column. */
export const HEADER = ['metric', 'baseline', 'current', 'change', 'noise', 'status'];

/** One line: how many limits broke or held. */
export function verdictLine(c: Comparison): string {
  const failed = c.outcomes.filter((o) => o.status === 'fail').length;
  if (!c.outcomes.length) return 'no limits given (--fail-on): nothing to gate on';
  if (failed) return `${failed} of ${c.outcomes.length} limit checks broken`;
  const noise = c.outcomes.filter((o) => o.status === 'noise').length;
  return `all ${c.outcomes.length} limit checks hold${noise ? ` (${noise} only within noise)` : ''}`;
}

/** "name (started …)" for a run's heading. */
export function runLabel(r: Comparison['baseline']): string {
  return `${r.name ?? 'unnamed run'} (${r.startedAt}${r.partial ? ', PARTIAL' : ''})`;
}
