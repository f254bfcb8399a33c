import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../src/errors.js';
import { buildPlan } from '../src/scenario/options.js';
import { describeFault, parseFaults, parseHeartbeat } from '../src/scenario/stress.js';

const usage = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (e: unknown) => {
    if (!(e instanceof UsageError)) return false;
    const line = `${e.message} — ${e.hint}`;
    return message.test(line) && !line.includes('\n');
  });

test('blackhole=<share>@<time> parses next to drop-connections and describes itself the same way', () => {
  const faults = parseFaults('blackhole=50%@3s,drop-connections=10%@1s');
  assert.deepEqual(faults, [
    { kind: 'drop-connections', fraction: 0.1, atMs: 1000 },
    { kind: 'blackhole', fraction: 0.5, atMs: 3000 },
  ]);
  assert.equal(describeFault(faults[1]), 'blackhole=50%@3s');
  assert.deepEqual(parseFaults('blackhole@2s'), [{ kind: 'blackhole', fraction: 1, atMs: 2000 }]);
});

test('a blackhole with a bad share or time is a one-line usage error naming the fix', () => {
  usage(() => parseFaults('blackhole=150%@3s'), /malformed share in fault "blackhole=150%@3s".*10%/);
  usage(() => parseFaults('blackhole=half@3s'), /malformed share in fault/);
  usage(() => parseFaults('blackhole=50%@soon'), /malformed time of fault "blackhole=50%@soon".*20s/);
  usage(() => parseFaults('blackhole=50%'), /malformed fault "blackhole=50%".*blackhole=<share>@<time>/);
});

test('--heartbeat takes a time between 100ms and 1h, or off; off is the default', () => {
  assert.equal(parseHeartbeat('15s'), 15_000);
  assert.equal(parseHeartbeat('off'), 0);
  assert.equal(parseHeartbeat(0), 0);
  assert.equal(parseHeartbeat('100ms'), 100);
  assert.equal(parseHeartbeat('1h'), 3_600_000);
  assert.equal(buildPlan({}).heartbeatMs, 0);
  assert.equal(buildPlan({ heartbeat: '2s' }).heartbeatMs, 2000);
  usage(() => parseHeartbeat('50ms'), /heartbeat interval 0.05s is outside 100ms..1h.*--heartbeat 15s/);
  usage(() => parseHeartbeat('2h'), /heartbeat interval 7200s is outside 100ms..1h/);
  usage(() => parseHeartbeat('often'), /malformed heartbeat interval "often"/);
});

test('a blackhole needs the bundled server; against a target --heartbeat only arms the clients', () => {
  usage(
    () => buildPlan({ target: 'http://127.0.0.1:9', faults: 'blackhole=50%@1s' }),
    /blackhole fault needs the bundled server.*drop --target/,
  );
  assert.equal(buildPlan({ target: 'http://127.0.0.1:9', heartbeat: '5s' }).heartbeatMs, 5000);
  usage(() => buildPlan({ duration: '5s', ramp: '1s', faults: 'blackhole=5%@7s' }), /after each phase ends/);
});
