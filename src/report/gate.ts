import { UsageError } from '../errors.js';
import { resultLabel } from '../results/result-label.js';
import type { RunResults } from '../results/schema.js';
import { formatValue } from './compare/format-values.js';
import { parseRules, type Rule } from './compare/rules.js';
import { breaks, formatLimit } from './compare/compare.js';

/** One limit of `run --fail-on` checked against one protocol of this run. */
export interface GateOutcome {
  rule: string;
  protocol: string;
  failed: boolean;
  /** e.g. "FAIL websocket p99 312 ms > 250 ms" */
  message: string;
}

/**
 * Parses the limits of `run --fail-on` (k6's thresholds): absolute values only, since a single run
 * has no baseline to change from. Mistakes are usage errors before the run starts.
 */
export function parseRunGates(text: unknown): Rule[] {
  if (text !== undefined && typeof text !== 'string')
    throw new UsageError('failOn must be a string of limits', 'e.g. "failOn": "p99>250ms,lost>0"');
  const rules = parseRules(text);
  const relative = rules.find((r) => r.mode !== 'absolute');
  if (relative) {
    throw new UsageError(
      `--fail-on limit "${relative.text}" is a change from a baseline; a single run has none`,
      'give an absolute value (p99>250ms, lost>0), or gate changes with rtbench compare',
    );
  }
  return rules;
}

/**
 * The limits a scenario gives: `thresholds` (k6's name, documented) or `failOn` (the flag's own
 * name, kept as an alias), each a string of comma-separated limits or a list of such strings.
 * Giving both is ambiguous and a usage error. Returns one comma-joined string for parseRunGates.
 */
export function scenarioLimits(raw: { thresholds?: unknown; failOn?: unknown }): string | undefined {
  if (raw.thresholds !== undefined && raw.failOn !== undefined)
    throw new UsageError(
      'the scenario gives both "thresholds" and "failOn"; they are the same limits',
      'keep one of them ("thresholds" is the documented key)',
    );
  const key = raw.thresholds !== undefined ? 'thresholds' : 'failOn';
  const value = raw.thresholds ?? raw.failOn;
  if (value === undefined) return undefined;
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  if (!items.length || items.some((i) => typeof i !== 'string'))
    throw new UsageError(
      `"${key}" must be a string of limits or a list of them`,
      `e.g. "${key}": "p95>250ms,lost>0" or "${key}": ["p95>250ms", "lost>0"]`,
    );
  return (items as string[]).join(',');
}

/** Checks every limit against every protocol it names (all when it names none). */
export function evaluateGates(results: RunResults, rules: Rule[]): GateOutcome[] {
  const out: GateOutcome[] = [];
  for (const rule of rules) {
    for (const p of results.protocols) {
      if (rule.protocol && rule.protocol !== p.protocol) continue;
      const value = rule.metric.value(p);
      const label = resultLabel(p);
      const limit = `${rule.op} ${formatLimit(rule)}`;
      if (value === null) {
        out.push({
          rule: rule.text,
          protocol: label,
          failed: false,
          message: `SKIP ${label} ${rule.metric.name}: not measured in this run`,
        });
        continue;
      }
      const failed = breaks(rule, value);
      const shown = `${label} ${rule.metric.name} ${formatValue(rule.metric.kind, value)}`;
      out.push({
        rule: rule.text,
        protocol: label,
        failed,
        message: failed ? `FAIL ${shown} ${limit}` : `pass ${shown} (limit ${limit})`,
      });
    }
  }
  return out;
}
