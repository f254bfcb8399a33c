import Table from 'cli-table3';

/** One column of a comparison: its head and its figures as [row label, cell] in row order. */
export interface FigureColumn {
  label: string;
  cells: Array<[label: string, cell: string]>;
}

/**
 * Figures as rows and protocols as columns (the TLS-cost and HTTP/2 tables) for a terminal, with
 * `title` in the corner; '' without columns. Every column lists the same rows in the same order.
 */
export function renderFigureColumns(title: string, columns: FigureColumn[]): string {
  if (!columns.length) return '';
  // No rule between rows: the table stays as short as its figures.
  const chars = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };
  const table = new Table({ head: [title, ...columns.map((c) => c.label)], chars, style: { head: [], border: [] } });
  columns[0].cells.forEach(([label], row) => table.push([label, ...columns.map((c) => c.cells[row][1])]));
  return table.toString();
}
