import type { Scale } from './scale.js';
import { el, text, tooltip } from './svg.js';

export interface LegendItem {
  label: string;
  color: string;
  /** stroke-dasharray for line series */
  dash?: string;
  /** a lighter fill: the second bar of a pair */
  faded?: boolean;
  shape: 'line' | 'box';
}

export interface Margin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export interface FrameSpec {
  /** data-chart attribute: tests and readers find charts by it */
  name: string;
  title: string;
  width: number;
  height: number;
  margin: Margin;
  x?: { scale: Scale; label: string };
  y?: { scale: Scale; label: string };
  legend: LegendItem[];
  body: string;
}

/** The second bar of a pair (out, client) is the protocol's colour, lighter: one hue per protocol. */
export const FADED_OPACITY = 0.4;
const CHAR_WIDTH = 6.4; // average glyph width at the 11px legend size, for laying legends out
const LEGEND_ROW = 16;

/** Rows the legend needs for a chart this wide, so callers can reserve the top margin. */
export function legendRows(items: LegendItem[], width: number, left: number): number {
  return layoutLegend(items, width, left).rows;
}

function layoutLegend(items: LegendItem[], width: number, left: number): { rows: number; at: Array<[number, number]> } {
  const at: Array<[number, number]> = [];
  let x = left;
  let row = 0;
  for (const item of items) {
    const w = 22 + item.label.length * CHAR_WIDTH + 14;
    if (x + w > width - 8 && x > left) {
      row++;
      x = left;
    }
    at.push([x, 12 + row * LEGEND_ROW]);
    x += w;
  }
  return { rows: items.length ? row + 1 : 0, at };
}

function legend(items: LegendItem[], width: number, left: number): string {
  const { at } = layoutLegend(items, width, left);
  return items
    .map((item, i) => {
      const [x, y] = at[i];
      const swatch =
        item.shape === 'line'
          ? el('path', {
              d: `M${x} ${y - 4}h18`,
              stroke: item.color,
              'stroke-width': 2.5,
              'stroke-dasharray': item.dash,
              fill: 'none',
            })
          : el('rect', {
              x,
              y: y - 9,
              width: 18,
              height: 10,
              fill: item.color,
              'fill-opacity': item.faded ? FADED_OPACITY : undefined,
              stroke: item.color,
            });
      return el('g', { class: 'legend-item' }, swatch + text(x + 22, y, item.label, { class: 'legend' }));
    })
    .join('');
}

/** Axes, grid lines, axis labels, legend and the plotted body, as one <svg data-chart>. */
export function frame(s: FrameSpec): string {
  const { width, height, margin: m } = s;
  const plotBottom = height - m.bottom;
  const plotRight = width - m.right;
  const parts: string[] = [tooltip(s.title)];
  if (s.y) {
    for (const t of s.y.scale.ticks) {
      const y = s.y.scale.map(t.value);
      parts.push(el('path', { d: `M${m.left} ${y.toFixed(1)}H${plotRight}`, class: 'grid' }));
      parts.push(text(m.left - 6, y + 3.5, t.label, { class: 'tick', 'text-anchor': 'end' }));
    }
    parts.push(
      text(14, (m.top + plotBottom) / 2, s.y.label, {
        class: 'axis-label',
        'text-anchor': 'middle',
        transform: `rotate(-90 14 ${((m.top + plotBottom) / 2).toFixed(1)})`,
      }),
    );
  }
  if (s.x) {
    for (const t of s.x.scale.ticks) {
      const x = s.x.scale.map(t.value);
      parts.push(el('path', { d: `M${x.toFixed(1)} ${m.top}V${plotBottom}`, class: 'grid' }));
      parts.push(text(x, plotBottom + 15, t.label, { class: 'tick', 'text-anchor': 'middle' }));
    }
    parts.push(text((m.left + plotRight) / 2, height - 6, s.x.label, { class: 'axis-label', 'text-anchor': 'middle' }));
  }
  parts.push(el('path', { d: `M${m.left} ${m.top}V${plotBottom}H${plotRight}`, class: 'axis' }));
  parts.push(s.body);
  parts.push(legend(s.legend, width, m.left));
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      'data-chart': s.name,
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': s.title,
      class: 'chart',
      preserveAspectRatio: 'xMidYMid meet',
    },
    parts.join(''),
  );
}

/** A chart that has nothing to draw still says so in its place, so the layout and the reader agree. */
export function emptyChart(name: string, title: string, message: string, width = 640, height = 120): string {
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      'data-chart': name,
      'data-empty': 'true',
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': title,
      class: 'chart',
    },
    tooltip(title) + text(width / 2, height / 2, message, { class: 'empty', 'text-anchor': 'middle' }),
  );
}
