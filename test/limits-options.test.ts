import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan } from '../src/scenario/options.js';
import { UsageError } from '../src/errors.js';

test('client bounds on a target’s data default to 1 MB events, 16 MB messages and answers, and can be set', () => {
  assert.deepEqual(buildPlan({}).limits, {
    sseMaxEventBytes: 1024 ** 2,
    wsMaxMessageBytes: 16 * 1024 ** 2,
    pollMaxAnswerBytes: 16 * 1024 ** 2,
  });
  const plan = buildPlan({ maxEventSize: '64KB', maxMessageSize: '2MB', maxAnswerSize: '512KB' });
  assert.deepEqual(plan.limits, {
    sseMaxEventBytes: 65_536,
    wsMaxMessageBytes: 2 * 1024 ** 2,
    pollMaxAnswerBytes: 524_288,
  });
});

test('a client bound outside 1 KB … 1024 MB or malformed is a usage error naming it', () => {
  assert.throws(
    () => buildPlan({ maxEventSize: '10B' }),
    (e: unknown) => e instanceof UsageError && /max event size 10B is out of range/.test(e.message),
  );
  assert.throws(() => buildPlan({ maxMessageSize: '5000MB' }), UsageError);
  assert.throws(
    () => buildPlan({ maxAnswerSize: 'lots' }),
    (e: unknown) => e instanceof UsageError && /malformed max answer size/.test(e.message),
  );
});
