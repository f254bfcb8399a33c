/** Compact axis labels: ticks have little room, so no trailing zeros. */
const trim = (n: number) => String(Number(n.toPrecision(3)));

/** Microseconds as a short time: 500 µs, 2 ms, 250 ms, 1.5 s. */
export function axisTime(micros: number): string {
  if (micros >= 1_000_000) return `${trim(micros / 1_000_000)} s`;
  if (micros >= 1000) return `${trim(micros / 1000)} ms`;
  return `${trim(micros)} µs`;
}

/** Bytes as a short size: 512 B, 1.5 KB, 20 MB. */
export function axisBytes(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1024 * 1024) return `${trim(n / 1024 / 1024)} MB`;
  if (abs >= 1024) return `${trim(n / 1024)} KB`;
  return `${trim(n)} B`;
}

/** A plain number: 12, 1.5k, 2M. */
export function axisCount(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e6) return `${trim(n / 1e6)}M`;
  if (abs >= 1e3) return `${trim(n / 1e3)}k`;
  return trim(n);
}

/** A percentage: 25%. */
export function axisPercent(n: number): string {
  return `${trim(n)}%`;
}

/** Seconds since a phase started: 15 s. */
export function axisSeconds(n: number): string {
  return `${trim(n)} s`;
}
