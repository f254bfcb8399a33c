import type { Comparison } from './compare.js';
import { HEADER, rowCells, runLabel, verdictLine } from './cells.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The comparison as GitHub-flavoured markdown, for pull-request comments and step summaries. */
export function formatCompareMarkdown(c: Comparison): string {
  const out: string[] = [];
  out.push(`### rtbench compare: ${c.failed ? '❌' : '✅'} ${verdictLine(c)}`, '');
  out.push(`Baseline: ${cell(runLabel(c.baseline))}  `, `Current: ${cell(runLabel(c.current))}`, '');
  const listed = c.outcomes.filter((o) => o.status !== 'pass');
  for (const o of listed)
    out.push(`- ${o.status === 'fail' ? '❌' : o.status === 'noise' ? '〰️' : '⏭️'} \`${o.message}\``);
  if (listed.length) out.push('');
  for (const n of c.notes) out.push(`> ${cell(n)}`, '>');
  if (c.notes.length) {
    out.pop();
    out.push('');
  }
  // The full table is long (every metric of every protocol); failures are already listed above.
  out.push(`<details${c.failed ? ' open' : ''}><summary>All metrics</summary>`, '');
  out.push(`| protocol | ${HEADER.join(' | ')} |`, `|---|---|---:|---:|---:|---:|---|`);
  for (const protocol of c.protocols) {
    c.rows
      .filter((r) => r.protocol === protocol)
      .forEach((row, i) =>
        out.push(`| ${i === 0 ? `**${cell(protocol)}**` : ''} | ${rowCells(row).map(cell).join(' | ')} |`),
      );
  }
  out.push('', '</details>', '');
  out.push(`<sub>${c.method.map(cell).join('<br>')}</sub>`, '');
  return out.join('\n');
}
