import type { Comparison } from './compare.js';

/** The comparison as JSON; infinite changes (growth from 0) are written as "Infinity" strings. */
export function formatCompareJson(c: Comparison): string {
  return (
    JSON.stringify(c, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) + '\n'
  );
}
