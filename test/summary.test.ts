import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { RunResults } from '../src/results/schema.js';
import { renderSummary, renderSummaryTable, renderVerdict } from '../src/report/summary.js';
import { runWarnings } from '../src/report/few-events.js';
import { parseRunGates } from '../src/report/gate.js';
import { makeResults } from './fixtures/results-fixture.js';

/** A real four-protocol run (the README's example report). */
const example = (): RunResults =>
  JSON.parse(readFileSync(new URL('../../reports/example-run.json', import.meta.url), 'utf8'));
const widest = (text: string) => Math.max(...text.split('\n').map((l) => [...l].length));

test('the summary table has protocols as columns and fits 80 columns for four protocols', () => {
  const r = example();
  assert.equal(r.protocols.length, 4);
  // the widest values a large run gives: 50,000 clients, five-digit counts
  for (const p of r.protocols)
    Object.assign(p, { clients: 50_000, connectedPeak: 50_000, delivered: 1_234_567, wasted: p.requests ? 99_999 : 0 });
  // memory below what RSS resolves (a delta at or below zero) must not widen a column either
  for (const p of r.protocols.slice(2)) {
    if (p.server) p.server.rssPerConnection = -2048;
    if (p.client) p.client.rssPerClient = 0;
  }
  const table = renderSummaryTable(r, 80);
  assert.ok(widest(table) <= 80, `widest line ${widest(table)}`);
  const head = table.split('\n').slice(0, 3).join('\n');
  for (const p of r.protocols) assert.match(head, new RegExp(p.protocol));
  assert.equal(table.split('\n').filter((l) => l.startsWith('┌')).length, 1, 'one table');
  for (const row of ['Latency p99', 'Lost', 'Bytes/event', 'Client CPU']) assert.match(table, new RegExp(row));
  assert.match(table, /│ Server mem +│ .*│ ≈0 +│/);
});

test('on a narrow terminal the protocols are split over several tables, each fitting when it can', () => {
  const table = renderSummaryTable(example(), 50);
  const tables = table.split('\n').filter((l) => l.startsWith('┌')).length;
  assert.ok(tables >= 2, `${tables} tables`);
  assert.ok(widest(table) <= 50 || tables === 4);
});

test('the verdict is at most five bullets, wrapped to the width, and says who won from the numbers', () => {
  const text = renderVerdict(example(), 80);
  const bullets = text.split('\n').filter((l) => l.startsWith('  • '));
  assert.ok(bullets.length >= 3 && bullets.length <= 5, text);
  assert.ok(widest(text) <= 80, text);
  assert.match(text, /Median latency \(p50\)/);
});

test('method notes are left to --verbose; a protocol’s own warning and a partial run always show', () => {
  const r = example();
  r.notes.push(`${r.protocols[0].protocol}: the load generator was saturated (test)`);
  r.partial = true;
  r.partialReason = 'sse: only 3 of 4 clients were connected';
  const plain = renderSummary(r, { wide: false, verbose: false }, false);
  assert.doesNotMatch(plain, /Latency is intended publish time/);
  assert.match(plain, /the load generator was saturated \(test\)/);
  assert.match(plain, /PARTIAL RESULTS: sse: only 3 of 4/);
  assert.match(plain, /--verbose/);
  const verbose = renderSummary(r, { wide: false, verbose: true }, false);
  assert.match(verbose, /Latency is intended publish time/);
  const quiet = renderSummary(r, { wide: false, verbose: false }, true);
  assert.doesNotMatch(quiet, /saturated \(test\)/);
  assert.match(quiet, /PARTIAL RESULTS/);
  assert.ok(
    widest(renderSummary(r, { wide: true, verbose: false }, true)) > 120,
    '--wide is the one-row-per-protocol table',
  );
});

test('too few events for the p99 or a gate’s percentile is said under the summary, even without --verbose', () => {
  const few = makeResults(undefined, { durationSeconds: 10, rate: 1 });
  few.notes.push(...runWarnings(few, parseRunGates('p95>250ms,p50>1s,lost>0')));
  const text = renderSummary(few, { wide: false, verbose: false }, false, 80);
  assert.match(
    text.replace(/\n\s+/g, ' '),
    /Too few events: p99 of polling, long-polling, sse, websocket in this run rests on 10 events \(a p99 needs 100\)/,
  );
  assert.match(text.replace(/\n\s+/g, ' '), /Too few events: p95 of .* rests on 10 events \(a p95 needs 20\)/);
  assert.doesNotMatch(text, /p50 of/, '10 events are enough for a median');
});
