import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeRepeats, parseRepeat } from '../src/load/repeat.js';
import { buildPlan } from '../src/scenario/options.js';
import { compareRuns } from '../src/report/compare/compare.js';
import { parseRules } from '../src/report/compare/rules.js';
import { renderSummary } from '../src/report/summary.js';
import { UsageError } from '../src/errors.js';
import { makeResults, withChanges } from './fixtures/results-fixture.js';

const runs = (seeds: number[], scale = 1) =>
  seeds.map((seed) => makeResults(withChanges({ websocket: { latencyScale: scale } }), { seed, clients: 20 }));

test('--repeat takes 1 to 20 runs; anything else is a one-line usage error', () => {
  const plan = buildPlan({});
  assert.equal(parseRepeat(undefined, plan), 1);
  assert.equal(parseRepeat('5', plan), 5);
  assert.equal(parseRepeat(20, plan), 20);
  for (const bad of ['0', '21', '2.5', 'many', ''])
    assert.throws(
      () => parseRepeat(bad, plan),
      (e: Error) => e instanceof UsageError && /not a whole number from 1 to 20/.test(e.message),
      bad,
    );
});

test('repeated runs merge like shards but keep one run’s clients, and record each figure’s spread', () => {
  const parts = runs([1, 2, 3]);
  const merged = mergeRepeats(parts);
  assert.equal(merged.params.repeat, 3);
  assert.equal(merged.params.clients, 20);
  assert.ok(!merged.notes.some((n) => n.startsWith('Merged from')), 'not called shards');
  assert.ok(merged.notes.some((n) => n.startsWith('Repeated 3 times')));
  for (const p of merged.protocols) {
    const own = parts.map((r) => r.protocols.find((q) => q.protocol === p.protocol)!);
    assert.equal(p.clients, 20);
    assert.equal(
      p.delivered,
      own.reduce((a, q) => a + q.delivered, 0),
      'counts are summed',
    );
    assert.equal(
      p.latency.count,
      own.reduce((a, q) => a + q.latency.count, 0),
      'histograms are added',
    );
    const p99 = p.spread!.figures.p99;
    assert.equal(p.spread!.runs, 3);
    assert.equal(p99.min, Math.min(...own.map((q) => q.latency.p99)));
    assert.equal(p99.max, Math.max(...own.map((q) => q.latency.p99)));
    if (p.protocol === 'websocket' || p.protocol === 'sse')
      assert.ok(p99.sd > 0, `${p.protocol}: seeds differ, p99s too`);
    assert.ok(p.spread!.figures['delivered-per-s'].mean > 0);
  }
});

test('compare takes the repeated runs’ spread as the noise band, and a change beyond it still fails', () => {
  const base = mergeRepeats(runs([1, 2, 3, 4, 5]));
  const same = mergeRepeats(runs([6, 7, 8, 9, 10]));
  const c = compareRuns(base, same, parseRules('p99>+1%'));
  assert.equal(c.failed, false, c.outcomes.map((o) => o.message).join('\n'));
  const ws = c.rows.find((r) => r.protocol === 'websocket' && r.metric === 'p99')!;
  const sd = base.protocols.find((p) => p.protocol === 'websocket')!.spread!.figures.p99.sd;
  const sd2 = same.protocols.find((p) => p.protocol === 'websocket')!.spread!.figures.p99.sd;
  const expected = 3 * Math.sqrt((sd ** 2 + sd2 ** 2) / 2) * Math.sqrt(1 / 5 + 1 / 5);
  assert.ok(Math.abs(ws.noise! - expected) < 1e-6, `noise ${ws.noise} vs ${expected}`);
  assert.match(c.notes.join(' '), /The baseline merges 5 repeated runs/);
  // Against a single run the spread still applies (that run counts as one).
  const slower = makeResults(withChanges({ websocket: { latencyScale: 3 } }), { seed: 11, clients: 20 });
  const worse = compareRuns(base, slower, parseRules('p99>+10%'));
  assert.ok(worse.outcomes.some((o) => o.status === 'fail' && o.protocol === 'websocket'));
});

test('the summary of a repeated run shows each protocol’s run-to-run spread within 80 columns', () => {
  const text = renderSummary(mergeRepeats(runs([1, 2])), { wide: false, verbose: false }, true, 80).replace(
    /\u00a0/g,
    ' ',
  );
  assert.match(text, /Run-to-run spread over 2 runs/);
  assert.match(text, /websocket: p50 [\d.]+(–[\d.]+)? ms, p95 .*, p99 .*events\/s/);
  for (const line of text.split('\n')) assert.ok([...line].length <= 80, line);
});
