/** The report's only stylesheet, inlined: the file must open offline and from file://. */
export const STYLES = `
:root {
  --fg: #1b1f24;
  --muted: #5b6470;
  --line: #d8dde3;
  --bg: #fff;
  --panel: #f6f8fa;
  --bad: #b42318;
  --best: #e6f4ea;
}
* { box-sizing: border-box; }
body {
  margin: 0;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--fg);
  background: var(--bg);
}
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 16px 0 6px; }
.subtitle, .muted { color: var(--muted); }
.banner {
  margin: 12px 0;
  padding: 10px 14px;
  border: 2px solid var(--bad);
  color: var(--bad);
  background: #fef3f2;
  font-weight: 600;
}
.verdict { list-style: none; padding: 0; margin: 0; display: grid; gap: 6px; }
.verdict li {
  display: grid;
  grid-template-columns: 15em 1fr;
  gap: 12px;
  padding: 8px 12px;
  background: var(--panel);
  border-left: 4px solid var(--line);
}
.verdict li[data-winner] { border-left-color: var(--winner); }
.table-wrap { overflow-x: auto; }
table.comparison { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
table.comparison th, table.comparison td {
  padding: 3px 10px;
  border-bottom: 1px solid var(--line);
  text-align: right;
  white-space: nowrap;
}
table.comparison th[scope="row"], table.comparison thead th:first-child {
  text-align: left;
  font-weight: normal;
  color: var(--muted);
}
table.comparison thead th { position: sticky; top: 0; background: var(--bg); border-bottom: 2px solid var(--fg); }
table.comparison tr.group th {
  text-align: left;
  background: var(--panel);
  font-weight: 600;
  color: var(--fg);
  padding-top: 8px;
}
table.comparison td.best { background: var(--best); font-weight: 600; }
.swatch {
  display: inline-block;
  width: 10px;
  height: 10px;
  margin-right: 6px;
  border-radius: 2px;
  vertical-align: baseline;
}
.tag { font-size: 11px; color: var(--bad); border: 1px solid var(--bad); border-radius: 3px; padding: 0 3px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 18px 24px; }
figure { margin: 0; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: 4px; }
figure p { margin: 4px 0 0; color: var(--muted); font-size: 12px; }
svg.chart { width: 100%; height: auto; display: block; font-family: inherit; }
svg.chart .tick, svg.chart .legend, svg.chart .bar-label, svg.chart .category { font-size: 11px; fill: var(--fg); }
svg.chart .category { font-size: 12px; }
svg.chart .axis-label { font-size: 11px; fill: var(--muted); }
svg.chart .muted { fill: var(--muted); font-style: italic; }
svg.chart .empty { font-size: 13px; fill: var(--muted); }
svg.chart .grid { stroke: #eef0f3; stroke-width: 1; }
svg.chart .axis { stroke: #8a939e; stroke-width: 1; fill: none; }
.details { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 0 32px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; }
pre.command {
  white-space: pre-wrap;
  word-break: break-all;
  background: var(--panel);
  padding: 8px 10px;
  border-radius: 4px;
  font-size: 12px;
}
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
@media (max-width: 700px) {
  .charts { grid-template-columns: 1fr; }
  .verdict li { grid-template-columns: 1fr; gap: 2px; }
}
@media print {
  @page { size: A4; margin: 12mm; }
  body { font-size: 10.5px; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; margin-top: 18px; }
  .charts { grid-template-columns: 1fr 1fr; gap: 10px 14px; }
  table.comparison thead th { position: static; }
  table.comparison tr { break-inside: avoid; }
  section { break-inside: auto; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;
