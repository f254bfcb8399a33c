import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPlan, type RawRunOptions } from '../src/scenario/options.js';
import { loadScenarioFile } from '../src/scenario/scenario-file.js';
import { checkWritable } from '../src/results/results-file.js';
import { UsageError } from '../src/errors.js';

const usage = (pattern: RegExp) => (e: unknown) => e instanceof UsageError && pattern.test(e.message);

test('values past what a run can hold are one-line usage errors before anything starts', () => {
  const cases: Array<[RawRunOptions, RegExp]> = [
    [{ duration: '2147484s' }, /--duration of 2147484s is longer than rtbench's limit of 24h/],
    [{ ramp: '25h' }, /--ramp .* limit of 24h/],
    [{ timeout: '30d' }, /malformed timeout/],
    [{ timeout: '100h' }, /--timeout .* limit of 24h/],
    [{ clients: '99999999999999999999' }, /clients are more than one run holds/],
    [{ clients: 1e20 }, /clients are more than one run holds/],
    [{ clients: 1, workers: '1e6' }, /--workers 1000000 is more than 256/],
    [{ clients: 1, workers: 12 }, /--workers 12 is more than the 1 clients/],
    [{ payload: '600MB' }, /payload .* over rtbench's limit of 16MB/],
    [{ rooms: 1e6 }, /--rooms 1000000 is more than 100,000/],
    [{ headers: ['x-a: 1'] }, /--header is sent to a target/],
    [{ protocols: ['sse', 5] as unknown }, /protocols must be names/],
  ];
  for (const [options, pattern] of cases)
    assert.throws(() => buildPlan(options), usage(pattern), JSON.stringify(options));
  // The limits are limits, not the usual values.
  assert.equal(buildPlan({ duration: '24h', clients: 1_000_000, payload: '16MB' }).clients, 1_000_000);
});

test('a scenario file that starts with a byte-order mark is read like any other', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtbench-bom-'));
  const file = join(dir, 'bom.json');
  writeFileSync(file, '\ufeff{"clients": 7}');
  assert.equal(loadScenarioFile(file).clients, 7);
});

test('an output path that cannot be written is a usage error before the run, naming the flag', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtbench-out-'));
  const aFile = join(dir, 'file.txt');
  writeFileSync(aFile, 'x');
  assert.throws(
    () => checkWritable(join(aFile, 'results.json'), '--out'),
    usage(/cannot write --out .*folder .* cannot be written/),
  );
  assert.throws(() => checkWritable(dir, '--html'), usage(/--html .* is a folder/));
  checkWritable(join(dir, 'new', 'results.json'), '--out');
  checkWritable(aFile, '--out');
});

test(
  'silence shows inside a phase: a handshake or an answer is awaited 10 s by default, only a long-poll ' + 'longer',
  () => {
    const plan = buildPlan({});
    assert.equal(plan.requestTimeoutMs, 10_000);
    assert.equal(plan.longPollWaitMs, 40_000, 'the bundled server holds a long-poll 30 s; 10 s of slack');
    assert.equal(buildPlan({ longPollTimeout: '60s' }).longPollWaitMs, 70_000);
    const set = buildPlan({ timeout: '2s' });
    assert.deepEqual([set.requestTimeoutMs, set.longPollWaitMs], [2000, 2000]);
  },
);

test(
  'a scenario takes ${VAR} and ${VAR:-default} from the environment; an unset one without a default is ' + 'named',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtbench-env-'));
    const file = join(dir, 'env.json');
    writeFileSync(
      file,
      '{"target": "http://${RT_HOST}:${RT_PORT:-8080}", "headers": {"authorization": "Bearer ${RT_TOKEN}"}, ' +
        '"clients": 3}',
    );
    const o = loadScenarioFile(file, { RT_HOST: '127.0.0.1', RT_TOKEN: 's3cret' });
    assert.equal(o.target, 'http://127.0.0.1:8080');
    assert.deepEqual(o.headers, { authorization: 'Bearer s3cret' });
    assert.equal(o.clients, 3);
    assert.throws(() => loadScenarioFile(file, { RT_HOST: 'x' }), usage(/uses \$\{RT_TOKEN\}, which is not set/));
  },
);

test('tags: key=value flags or an object in a scenario, recorded with the results; a malformed one is named', () => {
  assert.deepEqual(buildPlan({ tags: ['build=1234', 'env=ci'] }).tags, { build: '1234', env: 'ci' });
  assert.deepEqual(buildPlan({ tags: { team: 'realtime' } }).tags, { team: 'realtime' });
  assert.deepEqual(buildPlan({}).tags, {});
  assert.throws(() => buildPlan({ tags: ['nokey'] }), usage(/tag "nokey" is not key=value/));
  assert.throws(() => buildPlan({ tags: ['bad name=1'] }), usage(/tag name "bad name" is not allowed/));
});
