/**
 * Mann–Whitney U (Wilcoxon rank-sum) test: do the values of one sample tend to be larger than
 * those of another? Distribution-free, so it holds for latency tails, which are far from normal.
 */

/** Above this many pairs the normal approximation replaces the exact distribution (it is then within 1e-3). */
const EXACT_PAIRS = 2500;

/** Pairs (x in `higher`, y in `lower`) with x > y, ties counting one half. */
export function uStatistic(higher: readonly number[], lower: readonly number[]): number {
  let u = 0;
  for (const x of higher) for (const y of lower) u += x > y ? 1 : x === y ? 0.5 : 0;
  return u;
}

/**
 * How often U would reach `u` or more if both samples came from one distribution (m and n values):
 * the exact null distribution for small samples, counted with the recursion on the largest value
 * (it belongs to the first sample and beats all n of the other, or to the second and beats none).
 */
export function upperTail(u: number, m: number, n: number): number {
  if (!m || !n) return 1;
  if (m * n > EXACT_PAIRS) return normalUpperTail(u, m, n);
  // counts[j][v]: arrangements of i values of the first and j of the second sample with U = v.
  let counts: number[][] = Array.from({ length: n + 1 }, () => [1]);
  for (let i = 1; i <= m; i++) {
    const next: number[][] = [[1]];
    for (let j = 1; j <= n; j++) {
      const row = new Array<number>(i * j + 1).fill(0);
      counts[j].forEach((c, v) => (row[v + j] += c));
      next[j - 1].forEach((c, v) => (row[v] += c));
      next.push(row);
    }
    counts = next;
  }
  const dist = counts[n];
  const total = dist.reduce((a, b) => a + b, 0);
  // A tie's half point rounds down: the test never claims more than the data show.
  let tail = 0;
  for (let v = Math.floor(u); v < dist.length; v++) tail += dist[v];
  return tail / total;
}

function normalUpperTail(u: number, m: number, n: number): number {
  const mean = (m * n) / 2;
  const sd = Math.sqrt((m * n * (m + n + 1)) / 12);
  return normalTail((u - 0.5 - mean) / sd);
}

/** Chebyshev coefficients of erfc (Numerical Recipes' erfcc), lowest power first. */
const ERFC = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223,
  0.17087277,
];

/** P(Z ≥ z) for a standard normal Z; erfc by Chebyshev fit (fractional error below 1.2e-7). */
export function normalTail(z: number): number {
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const poly = ERFC.reduceRight((acc, c) => c + t * acc, 0);
  const erfc = t * Math.exp(-x * x + poly);
  return x >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** One-sided p-value that `higher` tends to exceed `lower`. */
export function rankTestGreater(higher: readonly number[], lower: readonly number[]): number {
  return upperTail(uStatistic(higher, lower), higher.length, lower.length);
}
