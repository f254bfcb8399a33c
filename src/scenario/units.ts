import { UsageError } from '../errors.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, k: 1024, mb: 1024 * 1024, m: 1024 * 1024 };

/** Parses "20s", "500ms", "2m", "1m30s" or a bare number of seconds into milliseconds. */
export function parseDuration(text: string | number, what = 'duration'): number {
  if (typeof text === 'number' && Number.isFinite(text) && text >= 0) return text * 1000;
  const s = String(text).trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const parts = s.match(/(\d+(?:\.\d+)?)(ms|s|m|h)/g);
  if (!parts || parts.join('') !== s) {
    throw new UsageError(`malformed ${what} "${text}"`, 'use a number with a unit, e.g. 500ms, 20s, 2m or 1m30s');
  }
  let ms = 0;
  for (const p of parts) {
    const [, n, unit] = p.match(/(\d+(?:\.\d+)?)(ms|s|m|h)/)!;
    ms += Number(n) * DURATION_UNITS[unit];
  }
  return ms;
}

/** Parses "256B", "1KB", "2kb" or a bare number of bytes. */
export function parseSize(text: string | number, what = 'size'): number {
  if (typeof text === 'number' && Number.isInteger(text) && text >= 0) return text;
  const m = String(text)
    .trim()
    .toLowerCase()
    .match(/^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m)?$/);
  if (!m) throw new UsageError(`malformed ${what} "${text}"`, 'use bytes with an optional unit, e.g. 256B, 4KB, 1MB');
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2] ?? 'b']);
}

/** Parses an event rate "20/s", "600/m", "5" (per second) into events per second. */
export function parseRate(text: string | number, what = 'rate'): number {
  if (typeof text === 'number' && text > 0) return text;
  const m = String(text)
    .trim()
    .toLowerCase()
    .match(/^(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|m|min))?$/);
  const n = m ? Number(m[1]) : NaN;
  if (!m || !(n > 0))
    throw new UsageError(`malformed ${what} "${text}"`, 'use events per second or minute, e.g. 10/s or 600/m');
  return m[2] === 'm' || m[2] === 'min' ? n / 60 : n;
}

/** Parses a positive integer count such as --clients. */
export function parseCount(text: string | number, what: string, min = 1, max = Infinity): number {
  const n = typeof text === 'number' ? text : Number(String(text).trim());
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(
      `malformed ${what} "${text}"`,
      max === Infinity ? `use a whole number ≥ ${min}` : `use a whole number from ${min} to ${max}`,
    );
  return n;
}

/** Parses "10%" or "0.1" into a fraction in [0, 1]. */
export function parseFraction(text: string | number, what: string): number {
  const s = String(text).trim();
  const n = s.endsWith('%') ? Number(s.slice(0, -1)) / 100 : Number(s);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new UsageError(`malformed ${what} "${text}"`, 'use a percentage such as 10% or a fraction such as 0.1');
  return n;
}

/** A count for people: rounded, with thousands separators (12,345). */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  if (abs >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (abs >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${Math.round(n)} B`;
}

/**
 * A memory delta per connection. A delta at or below zero means the process freed more (GC,
 * allocator) than the connections took: the figure is below what the method can resolve.
 */
export function formatPerConnection(n: number | null | undefined): string {
  if (n === null || n === undefined) return 'not measured';
  return n > 0 ? formatBytes(n) : '≈0 (below resolution)';
}

export function formatMs(micros: number): string {
  if (!Number.isFinite(micros)) return '–';
  const ms = micros / 1000;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}
