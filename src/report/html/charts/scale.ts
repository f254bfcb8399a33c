export interface Tick {
  value: number;
  label: string;
}

/** Maps data values to pixels and knows where its ticks go. */
export interface Scale {
  map(value: number): number;
  ticks: Tick[];
  min: number;
  max: number;
}

/**
 * 1, 2 or 5 times a power of ten: tick steps people read at a glance. With unit 1024 the step is a
 * round number of KB or MB, so byte axes read 10 KB, 20 KB rather than 9.77 KB, 19.5 KB.
 */
function niceStep(span: number, count: number, unit: number): number {
  const raw = span / Math.max(1, count);
  const scale = unit > 1 && raw >= unit ? Math.pow(unit, Math.floor(Math.log(raw) / Math.log(unit))) : 1;
  const r = raw / scale;
  const power = Math.pow(10, Math.floor(Math.log10(r)));
  const m = r / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power * scale;
}

/** A linear scale from 0 (or the data minimum if below 0) to a nice maximum; unit 1024 for bytes. */
export function linearScale(
  min: number,
  max: number,
  r0: number,
  r1: number,
  format: (v: number) => string,
  count = 5,
  unit = 1,
): Scale {
  const lo = Math.min(0, min);
  let hi = max > lo ? max : lo + 1;
  const step = niceStep(hi - lo, count, unit);
  hi = Math.ceil(hi / step) * step;
  const start = Math.floor(lo / step) * step;
  const ticks: Tick[] = [];
  for (let v = start; v <= hi + step / 2; v += step) ticks.push({ value: v, label: format(Number(v.toPrecision(12))) });
  return { min: start, max: hi, ticks, map: (v) => r0 + ((v - start) / (hi - start)) * (r1 - r0) };
}

/** A log10 scale widened to whole decades; 2 and 5 ticks too when the span is short. */
export function logScale(
  min: number,
  max: number,
  r0: number,
  r1: number,
  format: (v: number) => string,
  fixedTicks?: Tick[],
): Scale {
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(min, Number.MIN_VALUE))));
  let hi = Math.pow(10, Math.ceil(Math.log10(Math.max(max, lo))));
  if (hi <= lo) hi = lo * 10;
  const decades = Math.round(Math.log10(hi / lo));
  const ticks: Tick[] = fixedTicks ?? [];
  if (!fixedTicks) {
    for (let d = 0; d <= decades; d++) {
      const base = lo * Math.pow(10, d);
      for (const m of decades <= 3 ? [1, 2, 5] : [1])
        if (base * m <= hi * 1.0001) ticks.push({ value: base * m, label: format(base * m) });
    }
  }
  const l0 = Math.log10(lo);
  const span = Math.log10(hi) - l0;
  return { min: lo, max: hi, ticks, map: (v) => r0 + ((Math.log10(Math.max(v, lo)) - l0) / span) * (r1 - r0) };
}

/** Log when the data spans more than two decades (4 ms next to 1 s), linear otherwise. */
export function wantsLog(min: number, max: number): boolean {
  return min > 0 && max / min > 100;
}
