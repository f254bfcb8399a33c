import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SequenceTracker } from '../src/metrics/sequence.js';

function run(seqs: number[], lastPublished: number, never: number[] = []) {
  const t = new SequenceTracker();
  const accepted = seqs.map((s) => t.accept(s));
  t.finish(lastPublished, new Set(never));
  return { t, accepted };
}

test('in-order delivery has no loss, duplicates or reordering', () => {
  const { t } = run([5, 6, 7, 8], 8);
  assert.deepEqual([t.delivered, t.lost, t.duplicated, t.reordered], [4, 0, 0, 0]);
});

test('a gap that never fills is lost; a late arrival is reordered, not lost', () => {
  const { t } = run([1, 2, 5, 3], 6);
  // 4 never came, 6 was published but not received by the end
  assert.equal(t.lost, 2);
  assert.equal(t.reordered, 1);
  assert.equal(t.delivered, 4);
});

test('a repeated seq is a duplicate and is not delivered twice', () => {
  const { t, accepted } = run([1, 2, 2, 3, 1], 3);
  assert.deepEqual(accepted, [true, true, false, true, false]);
  assert.equal(t.duplicated, 2);
  assert.equal(t.delivered, 3);
});

test('seqs the target never accepted are not counted lost', () => {
  const { t } = run([1, 2, 4], 5, [3, 5]);
  assert.equal(t.lost, 0);
});

test('a client that saw nothing has no start point and counts nothing lost', () => {
  const { t } = run([], 10);
  assert.equal(t.lost, 0);
});
