import type { RunResults } from '../../results/schema.js';
import { TLS_COST_LEGEND, tlsCostCells, tlsCosts } from '../tls-cost.js';
import { esc } from './escape.js';

/** The TLS cost per protocol (a `--tls off,on` run) as a table, or '' when the run has no pair. */
export function tlsCostTable(results: RunResults): string {
  const costs = tlsCosts(results);
  if (!costs.length) return '';
  const columns = costs.map(tlsCostCells);
  const head = `<tr><th></th>${costs.map((c) => `<th scope="col">${esc(c.label)}</th>`).join('')}</tr>`;
  const rows = columns[0].map(
    ([label], i) =>
      `<tr><th scope="row">${esc(label)}</th>${columns.map((c) => `<td>${esc(c[i][1])}</td>`).join('')}</tr>`,
  );
  return (
    `<div class="table-wrap"><table class="tls-cost"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>` +
    `</div><p class="muted">${esc(TLS_COST_LEGEND)}</p>`
  );
}
