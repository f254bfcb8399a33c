import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseDuration,
  parseRate,
  parseSize,
  parseCount,
  parseFraction,
  formatPerConnection,
} from '../src/scenario/units.js';
import { UsageError } from '../src/errors.js';

test('durations accept ms, s, m, h, compounds and bare seconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('20s'), 20_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('2'), 2000);
  assert.equal(parseDuration('1h'), 3_600_000);
});

test('malformed durations, rates, sizes and counts are UsageErrors with a hint', () => {
  for (const [fn, bad] of [
    [parseDuration, '20 seconds'],
    [parseDuration, 's20'],
    [parseRate, 'fast'],
    [parseRate, '0/s'],
    [parseSize, '12 parsecs'],
    [parseCount, '-3'],
    [parseFraction, '150%'],
  ] as const) {
    assert.throws(
      () => (fn as (x: string, w: string) => unknown)(bad, 'thing'),
      (e: unknown) => e instanceof UsageError && !!e.hint && e.message.includes(bad),
    );
  }
});

test('rates per second and per minute', () => {
  assert.equal(parseRate('10/s'), 10);
  assert.equal(parseRate('600/m'), 10);
  assert.equal(parseRate('2.5'), 2.5);
});

test('sizes with units', () => {
  assert.equal(parseSize('256B'), 256);
  assert.equal(parseSize('4KB'), 4096);
  assert.equal(parseSize('1mb'), 1024 * 1024);
});

test('a memory delta per connection at or below zero is shown as below resolution, never negative', () => {
  assert.equal(formatPerConnection(14_336), '14.0 KB');
  assert.equal(formatPerConnection(-11_366), '≈0 (below resolution)');
  assert.equal(formatPerConnection(0), '≈0 (below resolution)');
  assert.equal(formatPerConnection(null), 'not measured');
});
