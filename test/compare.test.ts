import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../src/errors.js';
import { newHistogram } from '../src/metrics/histogram.js';
import { compareRuns, type Comparison } from '../src/report/compare/compare.js';
import { quantileUncertainty } from '../src/report/compare/noise.js';
import { parseRules } from '../src/report/compare/rules.js';
import { compareAction } from '../src/cli/compare-command.js';
import { writeResults } from '../src/results/results-file.js';
import { MANY_EVENTS, makeResults, realisticSpecs, withChanges } from './fixtures/results-fixture.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rtbench-compare-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const baseline = makeResults();
/** A baseline with enough events for a latency change to stand out of the noise. */
const eventful = makeResults(undefined, MANY_EVENTS);
const failures = (c: Comparison) => c.outcomes.filter((o) => o.status === 'fail').map((o) => o.message);

test('--fail-on parses absolute limits, relative changes and percentage-point changes', () => {
  const [p99, lost, wasted, delta, scoped] = parseRules('p99>+10%, lost>0 ,wasted>+5%,p99.9>+5ms,ws:max<250ms');
  assert.deepEqual([p99.metric.name, p99.op, p99.mode, p99.value], ['p99', '>', 'relative', 10]);
  assert.deepEqual([lost.metric.name, lost.mode, lost.value], ['lost', 'absolute', 0]);
  assert.deepEqual(
    [wasted.metric.name, wasted.mode, wasted.value],
    ['wasted', 'delta', 5],
    'a change of a percentage is in points',
  );
  assert.deepEqual([delta.metric.name, delta.mode, delta.value], ['p999', 'delta', 5000], 'microseconds');
  assert.deepEqual(
    [scoped.protocol, scoped.metric.name, scoped.op, scoped.mode, scoped.value],
    ['websocket', 'max', '<', 'absolute', 250_000],
  );
  assert.deepEqual(
    parseRules('bytes-in>2KB,wasted>50%,errors>+10%').map((r) => [r.mode, r.value]),
    [
      ['absolute', 2048],
      ['absolute', 50],
      ['relative', 10],
    ],
  );
  assert.deepEqual(parseRules(undefined), []);
});

test('--fail-on mistakes are usage errors that say what is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['p99>>3', /limit "p99>>3" is malformed/],
    ['p98>1ms', /unknown metric "p98"/],
    ['p99>250', /p99 takes a time with a unit/],
    ['p99>10%', /p99 takes a time with a unit .* or a signed change/],
    ['lost>2ms', /lost takes a whole count/],
    ['p99>+3pp', /p99 takes/],
    ['carrier-pigeon:p99>+10%', /unknown protocol "carrier-pigeon"/],
    ['p99>+10%,,lost>0', /empty limit/],
    ['', /--fail-on is empty/],
  ];
  for (const [text, message] of cases)
    assert.throws(
      () => parseRules(text),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
      text,
    );
});

test('identical runs hold every limit and show no change', () => {
  const c = compareRuns(baseline, makeResults(), parseRules('p99>+10%,lost>0,wasted>+5%'));
  assert.equal(c.failed, false);
  assert.deepEqual(failures(c), []);
  assert.equal(c.outcomes.length, 12, 'one check per protocol and limit');
  assert.ok(c.rows.every((r) => r.delta === null || r.delta === 0));
});

test('a 25% slower WebSocket breaks p99>+10% and the message names protocol, change and limit', () => {
  const c = compareRuns(
    eventful,
    makeResults(withChanges({ websocket: { latencyScale: 1.25 } }), MANY_EVENTS),
    parseRules('p99>+10%'),
  );
  assert.equal(c.failed, true);
  const [message, ...rest] = failures(c);
  assert.deepEqual(rest, []);
  assert.match(message, /^FAIL websocket p99 \+2[45]\.\d% > \+10% \([\d.]+ ms → [\d.]+ ms\)$/);
});

test('absolute limits apply as written: lost>0 fails on any loss', () => {
  const c = compareRuns(baseline, makeResults(withChanges({ sse: { lost: 3 } })), parseRules('lost>0'));
  assert.deepEqual(failures(c), ['FAIL sse lost 3 > 0']);
});

test('wasted>+5% is in percentage points of the wasted share', () => {
  const seven = compareRuns(
    baseline,
    makeResults(withChanges({ polling: { wastedPct: 57 } })),
    parseRules('wasted>+5%'),
  );
  assert.equal(seven.failed, true);
  assert.match(failures(seven)[0], /^FAIL polling wasted \+7\.0 pp > \+5 pp \(50\.0% → 57\.0%\)$/);
  const three = compareRuns(
    baseline,
    makeResults(withChanges({ polling: { wastedPct: 53 } })),
    parseRules('wasted>+5%'),
  );
  assert.equal(three.failed, false, '+3 points is within a +5 point limit (though +6% relative)');
});

test('a change within the runs’ own sampling noise does not break a relative limit', () => {
  // Same behaviour, different random draws, few samples: percentiles wander by more than 1%.
  const small = { clients: 20, rate: 1, durationSeconds: 10 };
  const a = makeResults(realisticSpecs(), { ...small, seed: 1 });
  const b = makeResults(realisticSpecs(), { ...small, seed: 2 });
  const noisy = compareRuns(a, b, parseRules('p99>+1%,p50>+1%'));
  const wandered = noisy.rows.filter((r) => (r.metric === 'p99' || r.metric === 'p50') && r.relative! > 1);
  assert.ok(wandered.length > 0, 'the fixture has changes above the 1% limit');
  assert.equal(noisy.failed, false);
  for (const r of wandered) assert.equal(r.status, 'noise', `${r.protocol} ${r.metric} ${r.relative}`);
  assert.ok(noisy.outcomes.some((o) => /but within noise \(±[\d.]+%\)/.test(o.message)));
  // With the noise allowance off, the same wander fails: the allowance is what kept it green.
  assert.equal(compareRuns(a, b, parseRules('p99>+1%,p50>+1%'), { sigmas: 0 }).failed, true);
});

test('a real regression is not hidden by noise', () => {
  const slower = makeResults(withChanges({ 'long-polling': { latencyScale: 1.5 } }), MANY_EVENTS);
  const c = compareRuns(eventful, slower, parseRules('p50>+10%,p99>+10%'));
  assert.deepEqual(
    c.outcomes.filter((o) => o.protocol === 'long-polling').map((o) => o.status),
    ['fail', 'fail'],
  );
});

test(
  'a protocol missing from the current run fails its limits; one missing from the baseline skips relative ' + 'ones',
  () => {
    const noSse = makeResults(realisticSpecs().filter((s) => s.protocol !== 'sse'));
    const gone = compareRuns(baseline, noSse, parseRules('p99>+10%'));
    assert.deepEqual(failures(gone), ['FAIL sse is missing from the current run (p99>+10%)']);
    assert.match(gone.notes.join(' '), /Only in the baseline: sse/);
    const added = compareRuns(noSse, baseline, parseRules('p99>+10%,lost>0'));
    assert.equal(added.failed, false);
    assert.deepEqual(
      added.outcomes.filter((o) => o.protocol === 'sse').map((o) => o.status),
      ['skipped', 'pass'],
    );
  },
);

test('the order-statistic interval of a percentile matches k·sqrt(n·p·(1−p)) ranks', () => {
  const h = newHistogram();
  for (let v = 1; v <= 10_000; v++) h.recordValue(v);
  const u = quantileUncertainty(h, 0.5, 3)!;
  // ±3·sqrt(10000·0.25) = ±150 ranks = ±150 µs here, plus 0.1% HDR precision and bucket rounding.
  assert.ok(u.down > 145 && u.down < 165, `down ${u.down}`);
  assert.ok(u.up > 145 && u.up < 165, `up ${u.up}`);
  const tight = quantileUncertainty(h, 0.99, 3)!;
  assert.ok(tight.up < u.up, 'the tail quantile is pinned by fewer ranks here');
});

test('a comparison on a percentile from too few events warns: p99 under 100 events, p99.9 under 1000', () => {
  const few = makeResults(undefined, { durationSeconds: 5, rate: 1 });
  const notes = compareRuns(few, few, parseRules('p99>+10%,p95>+10%')).notes;
  const p99 = notes.filter((n) => n.startsWith('Too few events: p99 '));
  assert.equal(p99.length, 2, 'one for each run');
  assert.match(
    p99[0],
    /^Too few events: p99 of polling, long-polling, sse, websocket in the baseline rests on 5 events \(a p99 needs 100\)/,
  );
  assert.ok(
    notes.some((n) => n.startsWith('Too few events: p95 ')),
    '5 events are too few for a p95 (20)',
  );
  // 40 events: enough for p95, too few for p99 and p99.9; p99.9 is warned about only when a limit checks it.
  const forty = compareRuns(makeResults(), makeResults(), parseRules('p95>+10%')).notes.join(' ');
  assert.match(forty, /p99 of .* rests on 40 events/);
  assert.doesNotMatch(forty, /p95 of|p99\.9 of/);
  assert.match(
    compareRuns(makeResults(), makeResults(), parseRules('p999>+10%')).notes.join(' '),
    /p99\.9 of .* \(a p99\.9 needs 1000\)/,
  );
  assert.doesNotMatch(compareRuns(eventful, eventful, parseRules('p99>+10%')).notes.join(' '), /Too few events/);
});

test('rtbench compare returns 0 within limits, 1 on a broken limit, 2 on usage errors, one line each', async () => {
  const base = join(dir, 'baseline.json');
  const cur = join(dir, 'current.json');
  writeResults(base, eventful);
  writeResults(cur, makeResults(withChanges({ websocket: { latencyScale: 1.3 } }), MANY_EVENTS));
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };

  assert.equal(await compareAction(base, base, { failOn: 'p99>+10%,lost>0' }, io), 0);
  assert.match(out.join(''), /PASS: all 8 limit checks hold/);
  assert.match(out.join(''), /│ websocket\s+│ latency p50\s+│/);
  assert.match(out.join(''), /order-statistic interval/);

  out.length = 0;
  const junit = join(dir, 'junit', 'compare.xml');
  assert.equal(await compareAction(base, cur, { failOn: 'p99>+10%,lost>0', junit }, io), 1);
  assert.match(out.join(''), /^FAIL websocket p99 \+\d+\.\d% > \+10%/m);
  const xml = readFileSync(junit, 'utf8');
  assert.equal(xml.match(/<testcase /g)?.length, 8);
  assert.equal(xml.match(/<failure /g)?.length, 1);
  assert.match(xml, /<testcase classname="rtbench.compare.websocket" name="websocket p99&gt;\+10%"/);

  out.length = 0;
  assert.equal(await compareAction(base, cur, { failOn: 'p99>+10%', format: 'markdown' }, io), 1);
  const md = out.join('');
  assert.match(md, /^### rtbench compare: ❌ 1 of 4 limit checks broken/);
  assert.match(md, /\| protocol \| metric \| baseline \| current \| change \| noise \| status \|/);
  assert.match(md, /\| \*\*websocket\*\* \| latency p50 \|/);

  out.length = 0;
  assert.equal(await compareAction(base, cur, { format: 'json' }, io), 0, 'no limits: nothing to fail');
  const json = JSON.parse(out.join(''));
  assert.equal(json.rows.length, 4 * 23);
  assert.equal(json.failed, false);

  assert.deepEqual(err, []);
  assert.equal(await compareAction(base, cur, { failOn: 'p99>>3' }, io), 2);
  assert.equal(await compareAction(base, join(dir, 'missing.json'), {}, io), 2);
  assert.equal(await compareAction(base, cur, { format: 'yaml' }, io), 2);
  assert.equal(err.length, 3);
  for (const line of err) assert.match(line, /^rtbench: [^\n]+\n$/);
  assert.match(err[0], /--fail-on limit "p99>>3" is malformed — write metric>value/);
  assert.match(err[1], /missing\.json does not exist/);
});
