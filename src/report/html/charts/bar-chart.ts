import { FADED_OPACITY, emptyChart, frame, legendRows, type LegendItem } from './frame.js';
import { linearScale } from './scale.js';
import { el, text, tooltip } from './svg.js';

export interface Bar {
  /** which measure this bar shows, e.g. "in" or "server" */
  series: string;
  /** null: not measured, shown as text instead of a bar */
  value: number | null;
  /** the label printed beside the bar */
  text: string;
  color: string;
  faded?: boolean;
}

export interface BarGroup {
  label: string;
  bars: Bar[];
}

export interface BarChartSpec {
  name: string;
  title: string;
  xLabel: string;
  format: (v: number) => string;
  /** 1024 for byte axes: ticks at round KB/MB */
  unit?: number;
  groups: BarGroup[];
  legend: LegendItem[];
  width?: number;
}

const BAR = 16;
const GAP = 4;
const GROUP_GAP = 12;
const LABEL_CHAR = 6.2; // average glyph width of bar labels, to keep them inside the picture

/** Horizontal bars grouped by protocol: labels stay readable however long the names. */
export function barChart(s: BarChartSpec): string {
  if (!s.groups.some((g) => g.bars.length)) return emptyChart(s.name, s.title, 'no data to draw');
  const width = s.width ?? 640;
  const left = 110;
  const top = 14 + legendRows(s.legend, width, left) * 16 + 6;
  const longest = Math.max(
    0,
    ...s.groups.flatMap((g) => g.bars.filter((b) => b.value !== null).map((b) => b.text.length)),
  );
  const margin = { top, right: Math.min(width / 3, Math.max(40, longest * LABEL_CHAR + 12)), bottom: 42, left };
  const plotHeight = s.groups.reduce((h, g) => h + g.bars.length * (BAR + GAP) - GAP + GROUP_GAP, GROUP_GAP);
  const height = top + plotHeight + margin.bottom;
  const values = s.groups.flatMap((g) => g.bars.map((b) => b.value ?? 0));
  const x = linearScale(
    Math.min(0, ...values),
    Math.max(...values),
    margin.left,
    width - margin.right,
    s.format,
    5,
    s.unit,
  );
  const parts = drawGroups(s, x, top, left);
  return frame({
    name: s.name,
    title: s.title,
    width,
    height,
    margin,
    x: { scale: x, label: s.xLabel },
    legend: s.legend,
    body: el('g', { class: 'bars' }, parts.join('')),
  });
}

/** The bars, group by group from the top: a group's label on the left, each bar's figure at its end. */
function drawGroups(s: BarChartSpec, x: ReturnType<typeof linearScale>, top: number, left: number): string[] {
  const zero = x.map(0);
  const parts: string[] = [];
  let y = top + GROUP_GAP;
  for (const g of s.groups) {
    const groupHeight = g.bars.length * (BAR + GAP) - GAP;
    parts.push(text(left - 8, y + groupHeight / 2 + 4, g.label, { class: 'category', 'text-anchor': 'end' }));
    for (const b of g.bars) {
      parts.push(...drawBar(g.label, b, x, zero, y));
      y += BAR + GAP;
    }
    y += GROUP_GAP - GAP;
  }
  return parts;
}

/** One bar and its figure; a bar without a value shows only its text (e.g. "not measured"). */
function drawBar(group: string, b: Bar, x: ReturnType<typeof linearScale>, zero: number, y: number): string[] {
  if (b.value === null) return [text(zero + 4, y + BAR - 4, b.text, { class: 'bar-label muted' })];
  const end = x.map(b.value);
  const rect = el(
    'rect',
    {
      x: Math.min(zero, end),
      y,
      width: Math.abs(end - zero),
      height: BAR,
      fill: b.color,
      'fill-opacity': b.faded ? FADED_OPACITY : undefined,
      stroke: b.color,
      'stroke-width': 1,
      class: 'bar',
    },
    tooltip(`${group} ${b.series}: ${b.text}`),
  );
  return [rect, text(Math.max(zero, end) + 4, y + BAR - 4, b.text, { class: 'bar-label' })];
}
