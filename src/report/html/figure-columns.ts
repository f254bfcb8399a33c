import type { FigureColumn } from '../figure-columns.js';
import { esc } from './escape.js';

/** The same figures-as-rows table as HTML (class `className`), with its legend under it; '' without columns. */
export function figureColumnsHtml(className: string, columns: FigureColumn[], legend: string): string {
  if (!columns.length) return '';
  const head = `<tr><th></th>${columns.map((c) => `<th scope="col">${esc(c.label)}</th>`).join('')}</tr>`;
  const rows = columns[0].cells.map(
    ([label], i) =>
      `<tr><th scope="row">${esc(label)}</th>${columns.map((c) => `<td>${esc(c.cells[i][1])}</td>`).join('')}</tr>`,
  );
  return (
    `<div class="table-wrap"><table class="${className}"><thead>${head}</thead><tbody>${rows.join('')}</tbody>` +
    `</table></div><p class="muted">${esc(legend)}</p>`
  );
}
