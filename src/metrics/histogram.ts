import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

/** Latency histograms record microseconds, 1 µs to 1 hour, 3 significant digits (0.1% precision). */
export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 64,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });
}

/** The same range and precision in a packed (sparse) array: small enough to keep one per second. */
export function newSparseHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 'packed',
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });
}

/** Encodes a histogram in the HdrHistogram compressed base64 format, readable by any HDR library. */
export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 64, false);
  // Re-home it in a histogram with our settings so merges never lose range.
  const h = newHistogram();
  h.add(decoded);
  return h;
}

/** Exact merge: adds counts bucket by bucket; percentiles are never averaged. */
export function mergeEncoded(encoded: string[]): Histogram {
  const total = newHistogram();
  for (const e of encoded) total.add(decodeHistogram(e));
  return total;
}

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** compressed base64 HdrHistogram, microseconds */
  hdr: string;
}

/** Percentile summary (microseconds) plus the encoded histogram it came from. */
export function summarize(h: Histogram): LatencySummary {
  const count = h.totalCount;
  const at = (p: number) => (count ? h.getValueAtPercentile(p) : 0);
  return {
    count,
    min: count ? h.minNonZeroValue : 0,
    mean: count ? h.mean : 0,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max: count ? h.maxValue : 0,
    hdr: encodeHistogram(h),
  };
}

/** The HDR percentile spectrum (value at 0%, 50%, 75%, 87.5% …) for charts. */
export function percentileSpectrum(h: Histogram, maxPercentile = 99.999): Array<{ percentile: number; value: number }> {
  const points: Array<{ percentile: number; value: number }> = [];
  if (!h.totalCount) return points;
  for (let i = 0; ; i++) {
    const p = 100 - 100 / Math.pow(2, i / 4);
    if (p > maxPercentile) break;
    points.push({ percentile: p, value: h.getValueAtPercentile(p) });
  }
  points.push({ percentile: 100, value: h.maxValue });
  return points;
}
