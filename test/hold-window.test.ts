import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nowMicros } from '../src/clock.js';
import { ProtocolRecorder } from '../src/metrics/recorder.js';
import { decodeHistogram } from '../src/metrics/histogram.js';
import { connectShortfall, scheduleSeqs } from '../src/load/phase.js';
import { describePhaseFailure } from '../src/results/notes.js';

test('the hold starts with the first event intended after the ramp', () => {
  assert.deepEqual(scheduleSeqs({ rampMs: 2000, durationMs: 10_000, rate: 1 }).firstHold, 3);
  assert.equal(scheduleSeqs({ rampMs: 0, durationMs: 10_000, rate: 5 }).firstHold, 1);
  assert.equal(scheduleSeqs({ rampMs: 500, durationMs: 10_000, rate: 4 }).firstHold, 3);
  assert.ok(scheduleSeqs({ rampMs: 2000, durationMs: 10_000, rate: 1 }).max >= 12 + 60);
});

test('deliveries intended during the ramp are kept apart from the hold, and so are their losses', () => {
  const start = nowMicros();
  const rec = new ProtocolRecorder(start, false, { holdStartMicros: start + 1_000_000, maxSeq: 100 });
  const c = rec.clientEvents();
  c.connected();
  c.delivered(1, start); // ramp
  c.delivered(3, start + 500_000); // ramp; seq 2 (ramp) missing
  c.delivered(4, start + 1_000_000); // hold
  c.delivered(6, start + 1_000_000); // hold; seq 5 (hold) missing
  const snap = rec.snapshot(6, new Set(), 4);
  assert.equal(snap.counters.lost, 2);
  assert.deepEqual(snap.ramp, { delivered: 2, lost: 1 });
  assert.equal(decodeHistogram(snap.holdHdr!).totalCount, 2);
  assert.equal(decodeHistogram(snap.rampHdr!).totalCount, 2);
});

test('a marker beyond the schedule or from the future is counted as forged and ignored', () => {
  const start = nowMicros();
  const rec = new ProtocolRecorder(start, false, { maxSeq: 1000 });
  const c = rec.clientEvents();
  assert.equal(c.delivered(1, start), true);
  assert.equal(c.delivered(2 ** 40, start), false, 'a huge seq would grow the missing set');
  assert.equal(c.delivered(2, nowMicros() + 3600e6), false, 'an intended time an hour ahead');
  assert.equal(c.delivered(0, start), false);
  const snap = rec.snapshot(2);
  assert.equal(snap.errorsByType['forged-marker'], 3);
  assert.equal(snap.counters.delivered, 1);
  assert.equal(snap.counters.lost, 1, 'seq 2 was never delivered for real');
});

test('a phase that connected fewer clients than asked fails with the figures', () => {
  assert.equal(connectShortfall(100, 100, 2000), null);
  assert.match(
    describePhaseFailure(connectShortfall(18_244, 50_000, 30_000) ?? assert.fail('a shortfall')),
    /only 18,244 of 50,000 clients were connected by the end of the ramp \+ 10 s \(40 s\)/,
  );
});
