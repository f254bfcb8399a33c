import Table from 'cli-table3';
import type { Comparison } from './compare.js';
import { HEADER, rowCells, runLabel, verdictLine } from './cells.js';

/** The comparison as a terminal table, followed by broken limits, notes and the noise method. */
export function formatCompareTable(c: Comparison): string {
  // No colours: this output lands in CI logs and files as often as on a terminal. No rule between
  // rows either (72 rows); a rule between protocols keeps the groups apart.
  const table = new Table({ head: ['protocol', ...HEADER], style: { head: [], border: [], compact: true } });
  c.protocols.forEach((protocol, p) => {
    if (p > 0) table.push(Array(HEADER.length + 1).fill(''));
    c.rows
      .filter((r) => r.protocol === protocol)
      .forEach((row, i) => table.push([i === 0 ? protocol : '', ...rowCells(row)]));
  });
  const lines = [`baseline: ${runLabel(c.baseline)}`, `current:  ${runLabel(c.current)}`, table.toString(), ''];
  for (const o of c.outcomes) if (o.status !== 'pass') lines.push(o.message);
  lines.push(`${c.failed ? 'FAIL' : 'PASS'}: ${verdictLine(c)}`);
  for (const n of c.notes) lines.push(`note: ${n}`);
  lines.push('', ...c.method.map((m) => `  ${m}`));
  return lines.join('\n') + '\n';
}
