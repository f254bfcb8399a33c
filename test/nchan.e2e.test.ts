import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runBenchmark } from '../src/load/runner.js';
import { buildPlan } from '../src/scenario/options.js';
import { startNchan } from './fixtures/nchan-server.js';

let nchan: Awaited<ReturnType<typeof startNchan>>;
before(async () => {
  nchan = await startNchan();
});
after(async () => {
  await nchan?.stop();
});

test(
  'against nginx + nchan (a real pub/sub server) every protocol delivers every event: SSE framed by close, ' +
    'long-polling by HTTP cache headers',
  async () => {
    const plan = buildPlan({
      target: nchan.url,
      publish: 'POST /pub',
      sse: '/sub',
      ws: '/sub',
      longPoll: '/sub',
      poll: '/poll',
      cursor: 'http-cache',
      metrics: 'none',
      protocols: 'all',
      clients: 6,
      duration: '4s',
      ramp: '200ms',
      rate: '2/s',
      workers: 1,
      // nchan answers an interval-poll with one message, so pollers ask faster than events come
      pollInterval: '200ms',
    });
    const results = await runBenchmark(plan);
    for (const p of results.protocols) {
      const figures = { delivered: p.delivered, lost: p.lost, errors: p.errorsByType, partial: p.partial };
      const context = `${p.protocol}: ${JSON.stringify(figures)} ${nchan.log()}`;
      assert.equal(p.partial, false, context);
      assert.ok(p.delivered >= 6 * 8, context);
      assert.equal(p.lost, 0, context);
      assert.equal(p.duplicated, 0, context);
    }
    assert.equal(results.partial, false, String(results.partialReason));
  },
);
