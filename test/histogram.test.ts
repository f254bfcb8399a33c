import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newHistogram, encodeHistogram, decodeHistogram, mergeEncoded, summarize } from '../src/metrics/histogram.js';

test('percentiles of known latencies are exact within HDR precision (0.1%)', () => {
  const h = newHistogram();
  for (let i = 1; i <= 1000; i++) h.recordValue(i * 1000); // 1 ms … 1000 ms in µs
  const s = summarize(h);
  const near = (actual: number, expected: number) =>
    assert.ok(Math.abs(actual - expected) <= expected * 0.001 + 1, `${actual} ≉ ${expected}`);
  near(s.p50, 500_000);
  near(s.p90, 900_000);
  near(s.p99, 990_000);
  near(s.p999, 999_000);
  near(s.max, 1_000_000);
  assert.equal(s.count, 1000);
});

test('an encoded histogram decodes to the same counts and percentiles', () => {
  const h = newHistogram();
  for (const v of [10, 250, 250, 4000, 90_000, 2_500_000]) h.recordValue(v);
  const back = decodeHistogram(encodeHistogram(h));
  assert.equal(back.totalCount, h.totalCount);
  for (const p of [50, 90, 99, 100]) assert.equal(back.getValueAtPercentile(p), h.getValueAtPercentile(p));
});

test('merging encoded histograms equals recording everything in one (never averaged percentiles)', () => {
  const a = newHistogram();
  const b = newHistogram();
  const all = newHistogram();
  for (let i = 0; i < 900; i++) {
    a.recordValue(1000);
    all.recordValue(1000);
  }
  for (let i = 0; i < 100; i++) {
    b.recordValue(500_000);
    all.recordValue(500_000);
  }
  const merged = mergeEncoded([encodeHistogram(a), encodeHistogram(b)]);
  assert.equal(merged.totalCount, 1000);
  assert.equal(merged.getValueAtPercentile(95), all.getValueAtPercentile(95));
  // Averaging the two p95s would give ~250 ms; the true p95 is 500 ms.
  assert.ok(merged.getValueAtPercentile(95) > 400_000);
});
