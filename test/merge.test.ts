import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeRuns } from '../src/results/merge.js';
import { decodeHistogram, mergeEncoded } from '../src/metrics/histogram.js';
import { UsageError } from '../src/errors.js';
import { makeResults } from './fixtures/results-fixture.js';

test('merging shards sums counters and adds histograms exactly', () => {
  const a = makeResults(undefined, { seed: 1, clients: 200 });
  const b = makeResults(undefined, { seed: 2, clients: 300 });
  a.params.clients = 200;
  b.params.clients = 300;
  const m = mergeRuns([a, b]);
  assert.equal(m.params.clients, 500);
  for (const p of m.protocols) {
    const pa = a.protocols.find((x) => x.protocol === p.protocol)!;
    const pb = b.protocols.find((x) => x.protocol === p.protocol)!;
    assert.equal(p.delivered, pa.delivered + pb.delivered);
    assert.equal(p.requests, pa.requests + pb.requests);
    assert.equal(p.latency.count, pa.latency.count + pb.latency.count);
    const union = mergeEncoded([pa.latency.hdr, pb.latency.hdr]);
    assert.equal(p.latency.p99, union.getValueAtPercentile(99));
    assert.equal(decodeHistogram(p.latency.hdr).totalCount, p.latency.count);
    assert.equal(p.bytes.in, pa.bytes.in + pb.bytes.in);
    assert.ok(Math.abs(p.bytes.inPerEvent - p.bytes.in / p.delivered) < 1e-9);
  }
  assert.match(m.notes.join(' '), /clock offset/);
});

test('results of different runs refuse to merge with a one-line hint', () => {
  const a = makeResults();
  const b = makeResults();
  b.params.rate = 99;
  assert.throws(() => mergeRuns([a, b]), (e: unknown) => e instanceof UsageError && /not shards of the same run/.test(e.message));
});
