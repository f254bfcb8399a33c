import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describePhaseProgress, RunProgress } from '../src/cli/progress.js';
import { describePhaseFailure, failedPhaseWords, workersDiedAtStartNote } from '../src/results/notes.js';

const phase = {
  label: 'sse · drop-oldest',
  clients: 100,
  connected: 80,
  delivered: 12345,
  errors: 2,
  secondsLeft: 6.6,
};

test('a phase progress value reads as the spinner line it always was', () => {
  assert.equal(
    describePhaseProgress(phase),
    'sse · drop-oldest: 80/100 connected, 12,345 events delivered, 2 errors, 7s left',
  );
});

test('run progress prefixes the phase of the run and suffixes the run time left', () => {
  const lines: string[] = [];
  const progress = new RunProgress(3, 10_000, { redraw: (l) => lines.push(l) });
  progress.phaseDone();
  progress.update(phase);
  progress.stop();
  assert.match(lines[0], /^\[2\/3\] sse · drop-oldest: 80\/100 connected, .* 7s left · run ~\d+s left$/);
});

test('a failed phase is put into a partial reason and a note', () => {
  const f = { kind: 'workers-died', workers: 2, clients: 1500 } as const;
  assert.equal(
    describePhaseFailure(f),
    '2 client worker(s) died mid-phase; the figures of their 1,500 clients are missing',
  );
  assert.deepEqual(failedPhaseWords('ws', { kind: 'silence', published: 1200 }), {
    reason: 'ws: no client received any of the 1,200 events published',
    note: 'ws: no client received any of the 1,200 events published; the phase counts as failed (partial).',
  });
});

test('workers that died while starting leave a note naming how many and who took their clients', () => {
  const layout = { workers: 3, clientsPerWorker: [34, 33, 33], sourceAddresses: [], serverProcesses: 1 };
  const fdLimit = { soft: null, hard: null };
  assert.equal(workersDiedAtStartNote('sse', { layout: { ...layout, fdLimit } }), null);
  assert.equal(
    workersDiedAtStartNote('sse', { layout: { ...layout, fdLimit, workersDiedAtStart: 1 } }),
    'sse: 1 client worker(s) exited while starting; their clients ran in the other 3, so each carried more ' +
      'clients than planned (watch the generator health figures).',
  );
});
