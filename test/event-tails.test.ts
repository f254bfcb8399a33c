import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareRuns } from '../src/report/compare/compare.js';
import { normalTail, rankTestGreater, upperTail, uStatistic } from '../src/report/compare/rank-test.js';
import { parseRules } from '../src/report/compare/rules.js';
import { makeResults, withChanges } from './fixtures/results-fixture.js';
import { mergeTimelines } from '../src/results/merge.js';
import { secondsOf } from '../src/report/compare/event-tails.js';

test('the rank test gives the exact Mann–Whitney tail for small samples', () => {
  // 3 against 3: 20 orderings, one puts all three above.
  assert.equal(rankTestGreater([4, 5, 6], [1, 2, 3]), 1 / 20);
  assert.equal(rankTestGreater([1, 2, 3], [4, 5, 6]), 1);
  // U = 8 of 9 pairs: the two orderings with U ≥ 8 of 20.
  assert.equal(uStatistic([3.5, 5, 6], [1, 2, 4]), 8);
  assert.equal(upperTail(8, 3, 3), 2 / 20);
  // 10 against 10, complete separation: 1 / C(20, 10).
  assert.ok(Math.abs(upperTail(100, 10, 10) - 1 / 184_756) < 1e-12);
  // The null distribution is symmetric: P(U ≥ mn/2) is just over a half.
  const half = upperTail(50, 10, 10);
  assert.ok(half > 0.5 && half < 0.56, String(half));
});

test('the normal approximation takes over for large samples and agrees with the exact tail', () => {
  assert.ok(Math.abs(normalTail(3) - 0.0013499) < 1e-6);
  assert.ok(Math.abs(normalTail(0) - 0.5) < 1e-7);
  assert.ok(Math.abs(normalTail(-2) - 0.9772499) < 1e-6);
  // 50 × 50 = 2500 pairs is still exact; 51 × 50 uses the approximation: both near 0.01 at the same z.
  const exact = upperTail(1250 + 2.326 * Math.sqrt((2500 * 101) / 12) + 0.5, 50, 50);
  const approx = upperTail(1275 + 2.326 * Math.sqrt((2550 * 102) / 12) + 0.5, 51, 50);
  assert.ok(Math.abs(exact - 0.01) < 0.002, String(exact));
  assert.ok(Math.abs(approx - 0.01) < 0.002, String(approx));
});

// Ten events of 100 clients each, deliveries of one event close together as on a real server.
const FEW = { clients: 100, rate: 1, durationSeconds: 10 };
const tight = (r: () => number) => 3000 * (1 + 0.1 * r());
const sseRow = (a: ReturnType<typeof makeResults>, b: ReturnType<typeof makeResults>) => {
  const c = compareRuns(a, b, parseRules('p99>+10%'));
  return {
    row: c.rows.find((r) => r.protocol === 'sse' && r.metric === 'p99')!,
    message: c.outcomes.find((o) => o.protocol === 'sse')!.message,
  };
};

test('a p99 of few events that two slow events raised is within noise: the events did not move', () => {
  const base = makeResults(withChanges({ sse: { latencyMicros: tight } }), { ...FEW, seed: 1 });
  const twoSlow = makeResults(withChanges({ sse: { latencyMicros: tight, secondScale: { 3: 2, 7: 2 } } }), {
    ...FEW,
    seed: 2,
  });
  const { row, message } = sseRow(base, twoSlow);
  assert.ok(row.relative! > 50, `p99 rose ${row.relative}%`);
  assert.ok(Math.abs(row.delta!) > row.noise!, 'the order-statistic band alone would fail it');
  assert.equal(row.tailShift?.significant, false);
  assert.equal(row.status, 'noise');
  assert.deepEqual(
    row.tailShift?.tests.map((t) => t.of),
    ['worst', 'fastest'],
  );
  assert.match(
    message,
    /per-second worst and fastest latencies are not significantly higher: rank test p = 0\.\d+ and 0\.\d+ > 0\.00067 over 10 \/ 10 s/,
  );
});

test('a p99 of few events is still caught when every event got slower', () => {
  const base = makeResults(withChanges({ sse: { latencyMicros: tight } }), { ...FEW, seed: 1 });
  const slower = makeResults(withChanges({ sse: { latencyMicros: tight, latencyScale: 1.3 } }), { ...FEW, seed: 2 });
  const { row, message } = sseRow(base, slower);
  assert.equal(row.tailShift?.significant, true);
  assert.equal(row.status, 'fail');
  assert.match(message, /^FAIL sse p99 \+\d+\.\d% > \+10%/);
});

test('a p99 resting on enough events is judged by its band alone', () => {
  const many = { clients: 2, rate: 20, durationSeconds: 10 };
  const { row } = sseRow(makeResults(undefined, { ...many, seed: 1 }), makeResults(undefined, { ...many, seed: 2 }));
  assert.equal(row.tailShift, null, '200 events are enough for a p99');
});

test('results without per-second minima (older files) are tested on the worst latencies alone', () => {
  const base = makeResults(withChanges({ sse: { latencyMicros: tight } }), { ...FEW, seed: 1 });
  const slower = makeResults(withChanges({ sse: { latencyMicros: tight, latencyScale: 1.3 } }), { ...FEW, seed: 2 });
  for (const p of base.protocols) for (const s of p.timeline) delete s.minMicros;
  assert.equal(secondsOf(base.protocols[2]).fastest, null);
  const { row } = sseRow(base, slower);
  assert.deepEqual(
    row.tailShift?.tests.map((t) => t.of),
    ['worst'],
  );
  assert.ok(Math.abs(row.tailShift.alpha - 0.0013499) < 1e-6, 'one test gets the whole allowance');
  assert.equal(row.status, 'fail');
});

test('merged timelines keep a second’s minimum only when every part recorded one', () => {
  const a = [{ t: 0, count: 2, sumMicros: 30, maxMicros: 20, minMicros: 10 }];
  const b = [
    { t: 0, count: 1, sumMicros: 5, maxMicros: 5, minMicros: 5 },
    { t: 1, count: 1, sumMicros: 7, maxMicros: 7 },
  ];
  assert.deepEqual(mergeTimelines([a, b]), [
    { t: 0, count: 3, sumMicros: 35, maxMicros: 20, minMicros: 5 },
    { t: 1, count: 1, sumMicros: 7, maxMicros: 7 },
  ]);
  const old = [{ t: 0, count: 1, sumMicros: 9, maxMicros: 9 }];
  assert.equal(mergeTimelines([a, old])[0].minMicros, undefined);
});
