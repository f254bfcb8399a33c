import { esc } from '../escape.js';

export type Attrs = Record<string, string | number | undefined>;

/** Rounds coordinates to 0.1 px: crisp enough, and keeps the file small. */
export function px(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** An SVG element as a string; undefined attributes are left out, text content is escaped by callers. */
export function el(name: string, attrs: Attrs, content?: string): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${esc(typeof v === 'number' ? px(v) : v)}"`)
    .join('');
  return content === undefined ? `<${name}${a}/>` : `<${name}${a}>${content}</${name}>`;
}

/** A text element with escaped content. */
export function text(x: number, y: number, content: string, attrs: Attrs = {}): string {
  return el('text', { x, y, ...attrs }, esc(content));
}

/** A hover tooltip: <title> works without script and in every browser. */
export function tooltip(content: string): string {
  return el('title', {}, esc(content));
}

/** Path data through the given points. */
export function pathData(points: ReadonlyArray<readonly [number, number]>): string {
  return points.map(([x, y], i) => `${i ? 'L' : 'M'}${px(x)} ${px(y)}`).join('');
}
