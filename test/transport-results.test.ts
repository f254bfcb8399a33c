import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkerResult } from '../src/contracts/worker-messages.js';
import { assembleUpgrade, mergeAckRoundTrips, mergeUpgrades, summarizeMs } from '../src/results/transport-results.js';

const worker = (timesMs: number[], requests: number[], bytes: number[]) =>
  ({ upgrade: { timesMs, requests, bytes } }) as unknown as WorkerResult;

test("a phase's upgrades: times over every worker as µs, requests and bytes as mean / p50 / p99", () => {
  assert.equal(assembleUpgrade([{} as WorkerResult]), null, 'no worker upgraded: no figures');
  const u = assembleUpgrade([worker([100, 300], [4, 5], [2000, 3000]), worker([200], [4], [2500])])!;
  assert.equal(u.upgrades, 3);
  assert.equal(u.time.count, 3);
  assert.ok(Math.abs(u.time.p50 - 200_000) < 200, `p50 ${u.time.p50} µs`);
  assert.ok(Math.abs(u.time.max - 300_000) < 300, `max ${u.time.max} µs`);
  assert.deepEqual(u.requests, { mean: 13 / 3, p50: 4, p99: 5 });
  assert.deepEqual(u.bytes, { mean: 2500, p50: 2500, p99: 3000 });
});

test('upgrades and ack round trips of several runs merge: counts summed, histograms added, means weighted', () => {
  const a = assembleUpgrade([worker([100], [4], [2000])])!;
  const b = assembleUpgrade([worker([300, 300, 300], [6, 6, 6], [4000, 4000, 4000])])!;
  const m = mergeUpgrades([a, b])!;
  assert.equal(m.upgrades, 4);
  assert.equal(m.time.count, 4);
  assert.equal(m.requests.mean, (4 + 18) / 4);
  assert.equal(m.bytes.p99, 4000, 'the highest p99 of any run');
  assert.equal(mergeUpgrades([]), null);
  const acks = mergeAckRoundTrips([summarizeMs([1, 2])!, summarizeMs([3])!])!;
  assert.equal(acks.count, 3);
  assert.equal(summarizeMs([]), null);
});
