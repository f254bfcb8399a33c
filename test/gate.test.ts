import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { RunResults } from '../src/results/schema.js';
import { evaluateGates, parseRunGates, scenarioLimits } from '../src/report/gate.js';
import { UsageError } from '../src/errors.js';

const example = (): RunResults =>
  JSON.parse(readFileSync(new URL('../../reports/example-run.json', import.meta.url), 'utf8'));

test('single-run limits apply to every protocol, or to the one they name; p95 comes from the histogram', () => {
  const r = example();
  // A limit between the protocols' p99s, so some pass and some fail whatever the example run measured.
  const p99s = r.protocols.map((p) => p.latency.p99).sort((a, b) => a - b);
  const limitMs = Math.round((p99s[1] + p99s[2]) / 2 / 1000);
  const outcomes = evaluateGates(r, parseRunGates(`p99>${limitMs}ms,websocket:p95>1ms,lost>0`));
  assert.equal(outcomes.length, 4 + 1 + 4);
  const failedP99 = outcomes
    .filter((o) => o.failed && o.rule.startsWith('p99'))
    .map((o) => o.protocol)
    .sort();
  const over = r.protocols
    .filter((p) => p.latency.p99 > limitMs * 1000)
    .map((p) => p.protocol)
    .sort();
  assert.deepEqual(failedP99, over);
  assert.ok(over.length > 0 && over.length < 4, `${limitMs} ms splits the protocols`);
  assert.equal(
    outcomes.filter((o) => o.rule === 'lost>0' && o.failed).length,
    r.protocols.filter((p) => p.lost > 0).length,
  );
  const p95 = outcomes.find((o) => o.rule === 'websocket:p95>1ms')!;
  const value = Number(p95.message.match(/p95 ([\d.]+) (ms|s)/)![1]) * (/ s /.test(p95.message) ? 1e6 : 1000);
  const ws = r.protocols.find((p) => p.protocol === 'websocket')!;
  assert.ok(
    value >= ws.latency.p90 * 0.99 && value <= ws.latency.p99 * 1.01,
    `p95 ${value} µs lies between p90 and p99`,
  );
  assert.equal(p95.failed, value > 1000);
});

test('a limit relative to a baseline is a usage error for a single run', () => {
  assert.throws(
    () => parseRunGates('p99>+10%'),
    (e: unknown) => e instanceof UsageError && /a single run has none/.test(e.message),
  );
  assert.throws(() => parseRunGates('p99>+5ms'), UsageError);
  assert.deepEqual(parseRunGates(undefined), []);
});

test('a scenario gates with "thresholds" (a string or a k6-like list) or its alias "failOn", never both', () => {
  assert.equal(scenarioLimits({}), undefined);
  assert.equal(scenarioLimits({ thresholds: 'p95>250ms,lost>0' }), 'p95>250ms,lost>0');
  assert.equal(scenarioLimits({ thresholds: ['p95>250ms', 'websocket:lost>0'] }), 'p95>250ms,websocket:lost>0');
  assert.equal(scenarioLimits({ failOn: 'errors>0' }), 'errors>0');
  const rules = parseRunGates(scenarioLimits({ thresholds: ['p95>250ms', 'lost>0'] }));
  assert.deepEqual(
    rules.map((r) => [r.metric.name, r.value]),
    [
      ['p95', 250_000],
      ['lost', 0],
    ],
  );
  assert.throws(
    () => scenarioLimits({ thresholds: 'lost>0', failOn: 'lost>0' }),
    (e: Error) => e instanceof UsageError && /both "thresholds" and "failOn"/.test(e.message),
  );
  assert.throws(() => scenarioLimits({ thresholds: [250] }), /must be a string of limits or a list of them/);
  assert.throws(() => scenarioLimits({ thresholds: [] }), /must be a string of limits or a list of them/);
  assert.throws(() => parseRunGates(scenarioLimits({ thresholds: ['p99>+10%'] })), /change from a baseline/);
});
