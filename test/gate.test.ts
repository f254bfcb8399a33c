import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { RunResults } from '../src/results/schema.js';
import { evaluateGates, parseRunGates } from '../src/report/gate.js';
import { UsageError } from '../src/errors.js';

const example = (): RunResults => JSON.parse(readFileSync(new URL('../../reports/example-run.json', import.meta.url), 'utf8'));

test('single-run limits apply to every protocol, or to the one they name; p95 comes from the histogram', () => {
  const r = example();
  const outcomes = evaluateGates(r, parseRunGates('p99>400ms,websocket:p95>1ms,lost>0'));
  const failed = outcomes.filter((o) => o.failed).map((o) => o.message.split(' ').slice(0, 3).join(' '));
  // polling 493 ms and long-polling 488 ms are over 400 ms; websocket's p95 is tens of ms
  assert.deepEqual(failed, ['FAIL polling p99', 'FAIL long-polling p99', 'FAIL websocket p95']);
  assert.equal(outcomes.length, 4 + 1 + 4);
  const p95 = evaluateGates(r, parseRunGates('websocket:p95>1ms'))[0];
  assert.match(p95.message, /websocket p95 (\d+\.\d+) ms/);
  const value = Number(p95.message.match(/p95 ([\d.]+) ms/)![1]);
  const ws = r.protocols.find((p) => p.protocol === 'websocket')!;
  assert.ok(value * 1000 >= ws.latency.p90 && value * 1000 <= ws.latency.p99, 'p95 lies between p90 and p99');
});

test('a limit relative to a baseline is a usage error for a single run', () => {
  assert.throws(() => parseRunGates('p99>+10%'), (e: unknown) => e instanceof UsageError && /a single run has none/.test(e.message));
  assert.throws(() => parseRunGates('p99>+5ms'), UsageError);
  assert.deepEqual(parseRunGates(undefined), []);
});
