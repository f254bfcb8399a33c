import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verdict, type VerdictLine, type VerdictTopic } from '../src/report/html/verdict.js';
import {
  MANY_EVENTS,
  makeResults,
  realisticSpecs,
  withChanges,
  type ProtocolSpec,
} from './fixtures/results-fixture.js';

function line(specs: ProtocolSpec[], topic: VerdictTopic, events = false): VerdictLine {
  const found = verdict(makeResults(specs, events ? MANY_EVENTS : {})).find((v) => v.topic === topic);
  assert.ok(found, `a ${topic} line`);
  return found;
}

test('the verdict names the fastest protocol at p99 and compares it with the slowest', () => {
  const v = line(realisticSpecs(), 'latency-p99', true);
  assert.equal(v.winner, 'websocket');
  assert.match(v.text, /^WebSocket delivered events fastest: p99 [\d.]+ ms vs [\d.]+ ms for Polling \(\d+× lower\)\.$/);
});

test('the latency winner changes when the numbers change', () => {
  const slowWs = withChanges({ websocket: { latencyScale: 10 } });
  assert.equal(line(slowWs, 'latency-p50').winner, 'sse');
  assert.equal(line(slowWs, 'latency-p99').winner, 'sse');
  const slowPolling = withChanges({ polling: { latencyMicros: () => 100 } });
  assert.equal(line(slowPolling, 'latency-p99').winner, 'polling');
});

test('two protocols with the same latency distribution tie instead of one winning by sampling luck', () => {
  const specs = realisticSpecs().filter((s) => s.protocol === 'sse' || s.protocol === 'websocket');
  const same = specs.map((s) => ({ ...s, latencyMicros: specs[0].latencyMicros.bind(specs[0]), seed: 7 }));
  const v = line(same, 'latency-p99');
  assert.equal(v.winner, null);
  assert.match(v.text, /tie at p99/);
});

test('a protocol that delivered nothing is left out of latency and bytes, and named', () => {
  const specs = withChanges({ websocket: { delivered: 0 } });
  const p99 = line(specs, 'latency-p99');
  assert.equal(p99.winner, 'sse');
  assert.match(p99.text, /WebSocket delivered no events\./);
  assert.equal(line(specs, 'bytes').winner, 'sse');
  assert.match(line(specs, 'delivery').text, /WebSocket delivered no events/);
});

test('bytes per delivered event: the cheapest protocol wins, counting in and out', () => {
  assert.equal(line(realisticSpecs(), 'bytes').winner, 'websocket');
  const v = line(withChanges({ websocket: { bytesOutPerEvent: 200 } }), 'bytes');
  assert.equal(v.winner, 'sse');
  assert.match(v.text, /^SSE moved the fewest bytes per delivered event: 291 B \(in \+ out\) vs 897 B for Polling/);
});

test('server memory: lowest per connection wins; unmeasured protocols are named; none measured is said so', () => {
  const v = line(realisticSpecs(), 'server-memory');
  assert.equal(v.winner, 'long-polling');
  assert.match(v.text, /Not measured for Polling/);
  assert.equal(line(withChanges({ sse: { serverRssPerConnection: 1000 } }), 'server-memory').winner, 'sse');
  const none = line(
    realisticSpecs().map((s) => ({ ...s, serverRssPerConnection: null })),
    'server-memory',
  );
  assert.equal(none.winner, null);
  assert.match(none.text, /not measured for any protocol/);
  // A reading at or below zero is below the method's resolution: it does not win, it is named apart.
  const negative = line(withChanges({ websocket: { serverRssPerConnection: -300 } }), 'server-memory');
  assert.notEqual(negative.winner, 'websocket');
  assert.equal(negative.winner, 'long-polling');
  assert.match(negative.text, /WebSocket: below what the method resolves .*not ranked\./);
  const allUnresolved = line(
    realisticSpecs().map((s) => ({ ...s, serverRssPerConnection: s.serverRssPerConnection === null ? null : -1 })),
    'server-memory',
  );
  assert.equal(allUnresolved.winner, null);
  assert.match(allUnresolved.text, /^No protocol's server memory reading was large enough to rank\./);
});

test('wasted requests: push protocols waste none; the worst poller is named with its share', () => {
  const v = line(realisticSpecs(), 'wasted');
  assert.match(
    v.text,
    /^SSE and WebSocket wasted no requests; Polling wasted the most: 50\.0% of its requests \(4,000 of 8,000\) vs 4\.8% for Long-polling\.$/,
  );
  const pollers = realisticSpecs().filter((s) => s.requestsPerClientSecond > 0);
  const both = line(pollers, 'wasted');
  assert.equal(both.winner, 'long-polling');
  assert.match(both.text, /^Long-polling wasted the fewest requests: 4\.8% vs 50\.0% of its requests/);
  assert.match(
    line(
      realisticSpecs().map((s) => ({ ...s, wastedPct: 0 })),
      'wasted',
    ).text,
    /No protocol wasted a request/,
  );
});

test('delivery problems are listed per protocol; a clean run says every event arrived in order', () => {
  assert.match(line(realisticSpecs(), 'delivery').text, /^Long-polling reordered 2 events\.$/);
  const clean = line(withChanges({ 'long-polling': { reordered: 0 } }), 'delivery');
  assert.equal(clean.text, 'Every protocol delivered every event in order, without duplicates.');
  assert.match(
    line(withChanges({ sse: { lost: 40, duplicated: 3 } }), 'delivery').text,
    /SSE lost 40 events \(0\.50%\) and got 3 duplicates\./,
  );
});

test('a single protocol, or none, still gives readable sentences', () => {
  const only = realisticSpecs().filter((s) => s.protocol === 'sse');
  assert.match(line(only, 'latency-p50').text, /^Only SSE delivered events: p50 [\d.]+ ms\.$/);
  const lines = verdict(makeResults([]));
  assert.equal(lines.length, 6);
  for (const l of lines) assert.ok(l.text.length > 0 && l.winner === null);
});
