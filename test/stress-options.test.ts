import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../src/errors.js';
import { buildPlan } from '../src/scenario/options.js';
import { parseBackoffRange, parseBackpressure, parseFaults, parseSlowMode } from '../src/scenario/stress.js';
import { isSlowClient } from '../src/load/slow-clients.js';
import { phasesOf } from '../src/load/runner.js';
import { ReadThrottle } from '../src/protocols/read-throttle.js';
import { Outbox, type PushSink } from '../src/server-core/backpressure.js';
import { nowMicros } from '../src/clock.js';

const usage = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof UsageError && message.test(`${e.message} — ${e.hint}`));

test('slow modes: stall:<time> and rate:<size>/s; anything else names both forms', () => {
  assert.deepEqual(parseSlowMode('stall:10s'), { kind: 'stall', ms: 10_000 });
  assert.deepEqual(parseSlowMode('rate:2KB/s'), { kind: 'rate', bytesPerSecond: 2048 });
  usage(() => parseSlowMode('slow'), /unknown slow mode "slow".*stall:10s.*rate:2KB\/s/);
  usage(() => parseSlowMode('rate:fast/s'), /malformed read rate "fast"/);
});

test('faults: drop-connections=<share>@<time> and restart@<time>, sorted by time; an unknown one names the fix', () => {
  assert.deepEqual(parseFaults('restart@20s,drop-connections=20%@5s'), [
    { kind: 'drop-connections', fraction: 0.2, atMs: 5000 },
    { kind: 'restart', atMs: 20_000 },
  ]);
  usage(
    () => parseFaults('explode@3s'),
    /unknown fault "explode".*drop-connections=<share>@<time>, blackhole=<share>@<time>, restart@<time> or kill-instance@<time>/,
  );
  usage(() => parseFaults('restart'), /malformed fault "restart"/);
  usage(() => parseFaults('drop-connections=150%@3s'), /malformed share/);
});

test('backpressure policies and back-off ranges parse; mistakes are one-line usage errors', () => {
  assert.deepEqual(parseBackpressure(['buffer', 'drop-oldest', 'buffer']), ['buffer', 'drop-oldest']);
  usage(() => parseBackpressure('lossy'), /unknown backpressure policy "lossy".*buffer, drop-oldest, disconnect/);
  assert.deepEqual(parseBackoffRange('250ms..10s'), { initialMs: 250, maxMs: 10_000 });
  usage(() => parseBackoffRange('10s..1s'), /must grow/);
});

test('plans refuse faults after the phase ends, and faults or policies against a target', () => {
  usage(() => buildPlan({ duration: '5s', ramp: '1s', faults: 'restart@8s' }), /after each phase ends/);
  usage(() => buildPlan({ target: 'http://127.0.0.1:9', faults: 'restart@1s' }), /needs the bundled server/);
  usage(() => buildPlan({ target: 'http://127.0.0.1:9', backpressure: 'disconnect' }), /no effect on a target/);
  const withToken = buildPlan({ target: 'http://127.0.0.1:9', token: 't0k' });
  assert.equal(withToken.target!.endpoints.headers.authorization, 'Bearer t0k');
});

test('a push protocol runs once per backpressure policy; request/response protocols once', () => {
  const phases = phasesOf(buildPlan({ protocols: 'long-polling,sse', backpressure: 'buffer,disconnect' }));
  assert.deepEqual(
    phases.map((p) => [p.protocol, p.variant]),
    [
      ['long-polling', null],
      ['sse', 'buffer'],
      ['sse', 'disconnect'],
    ],
  );
  assert.deepEqual(
    phasesOf(buildPlan({ protocols: 'sse' })).map((p) => p.variant),
    [null],
  );
});

test('the slow share is spread evenly over client indices', () => {
  const slow = Array.from({ length: 100 }, (_, i) => isSlowClient(i, 0.1));
  assert.equal(slow.filter(Boolean).length, 10);
  assert.equal(slow.slice(0, 50).filter(Boolean).length, 5, 'half the clients hold half the slow ones');
  assert.equal(Array.from({ length: 7 }, (_, i) => isSlowClient(i, 0)).filter(Boolean).length, 0);
});

test('a rate-limited reader closes its gate when over budget and reopens once the budget refilled', async () => {
  const throttle = new ReadThrottle({ mode: { kind: 'rate', bytesPerSecond: 10_000 }, stallAtMicros: 0 });
  let paused = 0;
  let resumed = 0;
  throttle.bind(
    () => paused++,
    () => resumed++,
  );
  throttle.consumed(5000);
  assert.equal(throttle.whenOpen(), null, 'within the one-second burst');
  throttle.consumed(7000); // 2,000 B over budget: closed for about 0.2 s
  const wait = throttle.whenOpen();
  assert.ok(wait, 'over budget: closed');
  assert.equal(paused, 1);
  await wait;
  assert.equal(resumed, 1);
  throttle.stop();
});

test('a stall closes the gate at its start time and opens it after its duration', async () => {
  const throttle = new ReadThrottle({ mode: { kind: 'stall', ms: 150 }, stallAtMicros: nowMicros() + 50_000 });
  assert.equal(throttle.whenOpen(), null, 'open before the stall');
  await new Promise((r) => setTimeout(r, 80));
  const wait = throttle.whenOpen();
  assert.ok(wait, 'closed during the stall');
  await wait;
  assert.equal(throttle.whenOpen(), null, 'open again');
  throttle.stop();
});

/** A sink whose buffer only drains when told to. */
function fakeSink() {
  let buffered = 0;
  let drained: (() => void) | null = null;
  const written: string[] = [];
  let killed = false;
  const sink: PushSink = {
    buffered: () => buffered,
    write: (c) => {
      written.push(c.toString());
      buffered += c.length;
    },
    onceDrained: (cb) => (drained = cb),
    kill: () => (killed = true),
    heartbeat: () => written.push(':'),
  };
  return { sink, written, killed: () => killed, drain: () => ((buffered = 0), drained?.()) };
}

test('drop-oldest keeps at most the high-water mark queued, drops the oldest and flushes the rest on drain', () => {
  const counters = { droppedEvents: 0, disconnectedByPolicy: 0 };
  const s = fakeSink();
  const box = new Outbox(s.sink, 'drop-oldest', 10, counters);
  for (const e of ['aaaaaa', 'bbbbbb', 'cccccc', 'dddddd', 'eeeeee']) box.push(Buffer.from(e));
  // 'aaaaaa' went out (buffer under 10); then the queue holds at most 10 B: only the newest fits.
  assert.deepEqual(s.written, ['aaaaaa', 'bbbbbb']);
  assert.equal(counters.droppedEvents, 2);
  assert.ok(box.queuedBytes <= 10);
  s.drain();
  assert.deepEqual(s.written, ['aaaaaa', 'bbbbbb', 'eeeeee']);
  assert.equal(box.queuedBytes, 0);
});

test('a heartbeat goes out only when nothing waits, and is never queued, dropped or counted', () => {
  const counters = { droppedEvents: 0, disconnectedByPolicy: 0 };
  const s = fakeSink();
  const box = new Outbox(s.sink, 'drop-oldest', 10, counters);
  box.heartbeat();
  assert.deepEqual(s.written, [':']);
  box.push(Buffer.from('aaaaaaaaaaaa')); // over the mark: the next event queues
  box.push(Buffer.from('bbbbbb'));
  box.heartbeat(); // the client has a backlog: no heartbeat needed, none queued
  assert.deepEqual(s.written, [':', 'aaaaaaaaaaaa']);
  s.drain();
  assert.deepEqual(s.written, [':', 'aaaaaaaaaaaa', 'bbbbbb']);
  assert.equal(counters.droppedEvents, 0);
  box.close();
  box.heartbeat();
  assert.equal(s.written.length, 3);
});

test('disconnect closes a client once its buffer passes the high-water mark, and counts it once', () => {
  const counters = { droppedEvents: 0, disconnectedByPolicy: 0 };
  const s = fakeSink();
  const box = new Outbox(s.sink, 'disconnect', 10, counters);
  box.push(Buffer.from('123456789012'));
  box.push(Buffer.from('x'));
  box.push(Buffer.from('y'));
  assert.equal(s.killed(), true);
  assert.equal(counters.disconnectedByPolicy, 1);
});
