import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { nowMicros } from '../src/clock.js';
import { encodeEvent } from '../src/events/marker.js';
import { driverFor } from '../src/protocols/registry.js';
import { HttpCursor } from '../src/protocols/http-cursor.js';
import { AnswerCheck, isUnusablePayload, NON_JSON_PAYLOAD } from '../src/protocols/payload-check.js';
import type { SlowReading } from '../src/protocols/read-throttle.js';
import type { DriverOptions, ProtocolName } from '../src/protocols/types.js';
import { startReferenceServer } from '../src/server/server.js';
import { driverOptions, endpointsFor, newRecorder, waitFor } from './helpers.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

/** A scripted HTTP server on an ephemeral loopback port; `n` counts requests from 1. */
async function scripted(
  handler: Handler,
): Promise<{ url: string; urls: string[]; headers: http.IncomingHttpHeaders[]; close(): Promise<void> }> {
  const urls: string[] = [];
  const headers: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    urls.push(req.url ?? '');
    headers.push(req.headers);
    handler(req, res, urls.length);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    urls,
    headers,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** One client of `protocol` against `url`, until it is closed. */
function pollerOf(
  url: string,
  tag: string,
  overrides: Partial<DriverOptions> = {},
  slow?: SlowReading,
  protocol: ProtocolName = 'polling',
) {
  const recorder = newRecorder();
  const session = driverFor(protocol).openSession(
    driverOptions(url, tag, { pollIntervalMs: 20, backoff: { initialMs: 10, maxMs: 20 }, ...overrides }),
  );
  const client = session.createClient(0, recorder.clientEvents(), slow);
  void client.start();
  return { recorder, session, close: () => session.close() };
}

const json = (res: http.ServerResponse, status: number, body: string, extra: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...extra });
  res.end(body);
};

test('events are found in an answer that arrives in several chunks, a marker cut in two', async () => {
  const tag = 'chunk';
  const events = [1, 2, 3].map((seq) => encodeEvent(tag, seq, nowMicros(), 200));
  const body = `{"cursor":3,"events":[${events.join(',')}]}`;
  // Cut inside the second marker: neither chunk alone holds all of it.
  const cut = body.indexOf(`~rtb:${tag}:2:`) + 7;
  const server = await scripted((req, res, n) => {
    if (n > 1) return json(res, 200, '{"cursor":3,"events":[]}');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(body.slice(0, cut));
    setTimeout(() => res.end(body.slice(cut)), 30);
  });
  const c = pollerOf(server.url, tag);
  try {
    await waitFor(() => c.recorder.latency.totalCount === 3, '3 deliveries');
    await waitFor(() => c.recorder.counters.requests >= 3, 'more requests');
    const counters = c.recorder.snapshot(3).counters;
    assert.equal(counters.delivered, 3);
    assert.equal(counters.duplicated, 0);
    assert.equal(counters.errors, 0, JSON.stringify(c.recorder.errorsByType));
    // The answer with the events was not wasted; the empty ones after it were.
    assert.equal(counters.wasted, counters.requests - 1);
    assert.ok(
      server.urls.slice(1).every((u) => u === '/poll?since=3'),
      server.urls.join(' '),
    );
  } finally {
    await c.close();
    await server.close();
  }
});

test(
  'the cursor advances with the answers: JSON "cursor" first, else X-Cursor, else the highest seq ' + 'seen',
  async () => {
    const tag = 'cur';
    const server = await scripted((req, res, n) => {
      if (n === 1) return json(res, 200, '{"cursor":"a:1","events":[]}');
      if (n === 2) return json(res, 200, '{ "cursor" : 17 , "events":[]}');
      if (n === 3) return json(res, 200, '{"events":[]}', { 'x-cursor': 'x-42' });
      if (n === 4) return json(res, 200, `{"events":[${encodeEvent(tag, 5, nowMicros(), 64)}]}`);
      return json(res, 200, '{"events":[]}');
    });
    const c = pollerOf(server.url, tag);
    try {
      await waitFor(() => server.urls.length >= 6, '6 requests');
      assert.deepEqual(server.urls.slice(0, 6), [
        '/poll',
        '/poll?since=a%3A1',
        '/poll?since=17',
        '/poll?since=x-42',
        '/poll?since=5',
        '/poll?since=5',
      ]);
      assert.equal(c.recorder.counters.errors, 0, JSON.stringify(c.recorder.errorsByType));
    } finally {
      await c.close();
      await server.close();
    }
  },
);

test('a 304 answer keeps the HTTP-cache cursor and counts as a wasted request', async () => {
  const server = await scripted((req, res, n) => {
    if (n === 1)
      return json(res, 200, '{"events":[]}', { etag: '"v1"', 'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT' });
    res.writeHead(304, { etag: n < 4 ? '"v1"' : '"v2"' });
    res.end();
  });
  const c = pollerOf(server.url, 'nm', { target: endpointsFor(server.url, { cursor: 'http-cache' }) });
  try {
    await waitFor(() => server.headers.length >= 6, '6 requests');
    assert.equal(server.headers[0]['if-none-match'], undefined);
    assert.equal(server.headers[1]['if-none-match'], '"v1"');
    assert.equal(server.headers[1]['if-modified-since'], 'Mon, 01 Jan 2024 00:00:00 GMT');
    // The ETag of a 304 is learned too.
    assert.equal(server.headers[5]['if-none-match'], '"v2"');
    assert.ok(
      server.urls.every((u) => u === '/poll'),
      'no ?since= in http-cache mode',
    );
    const counters = c.recorder.counters;
    assert.equal(counters.errors, 0, JSON.stringify(c.recorder.errorsByType));
    assert.equal(counters.wasted, counters.requests);
  } finally {
    await c.close();
    await server.close();
  }
});

test('every non-2xx answer is a typed error that backs off: 5xx as one kind, others by their code', async () => {
  const server = await scripted((req, res, n) => {
    if (n <= 2) return json(res, 503, '{"error":"busy"}');
    if (n === 3) return json(res, 404, 'not here');
    return json(res, 200, '{"events":[]}');
  });
  const c = pollerOf(server.url, 'err');
  try {
    await waitFor(() => server.urls.length >= 5, '5 requests');
    await waitFor(() => c.recorder.counters.requests >= 4, '4 answers counted');
    assert.equal(c.recorder.errorsByType['http-5xx'], 2);
    assert.equal(c.recorder.errorsByType['http-404'], 1);
    assert.equal(c.recorder.errorsByType[NON_JSON_PAYLOAD], undefined, 'an error answer is not checked as a payload');
    // Each is a failed attempt: the client backs off and counts a reconnection.
    assert.equal(c.recorder.counters.reconnects, 3);
  } finally {
    await c.close();
    await server.close();
  }
});

test('a marker-less answer that is not JSON is a payload error; JSON answers, repeated or not, are not', async () => {
  const server = await scripted((req, res, n) => {
    if (n === 2 || n === 5) return json(res, 200, '<html>gateway says hi</html>');
    if (n === 3) return json(res, 200, '{"events": [}');
    if (n === 6) return json(res, 200, '  \n');
    if (n === 7) return json(res, 200, '\ufeff{"cursor":1}');
    return json(res, 200, '{"cursor":1,"events":[]}');
  });
  const c = pollerOf(server.url, 'pj');
  try {
    await waitFor(() => c.recorder.counters.requests >= 10, '10 answers');
    assert.equal(c.recorder.errorsByType[NON_JSON_PAYLOAD], 3, JSON.stringify(c.recorder.errorsByType));
    assert.equal(c.recorder.counters.errors, 3);
  } finally {
    await c.close();
    await server.close();
  }
});

test('the answer check agrees with the JSON check of whole strings', () => {
  const samples = [
    '',
    '   ',
    '{}',
    ' {"a":1} ',
    '{"a":1',
    '[1,2]',
    '[1,2',
    '"x"',
    '"x',
    'true',
    'tru',
    'null',
    '-1.5e3',
    '12a',
    '<html>',
    'ok',
    '\ufeff{"a":1}',
    '\u00a0[]\u00a0',
    '{"é":"ü"}',
    '\v{}\f',
  ];
  const check = new AnswerCheck();
  for (const s of samples) {
    // twice: the second time may come from the cache of the last good answer
    for (let i = 0; i < 2; i++) assert.equal(check.unusable(Buffer.from(s)), isUnusablePayload(s), JSON.stringify(s));
  }
});

test('the cursor path is built once per cursor', () => {
  const cursor = new HttpCursor(endpointsFor('http://x'));
  const noHeaders = { header: () => undefined };
  assert.equal(cursor.path('/poll'), '/poll');
  cursor.update(noHeaders, Buffer.from('{"cursor":12,"events":[]}'), 0);
  const first = cursor.path('/poll?room=a');
  assert.equal(first, '/poll?room=a&since=12');
  cursor.update(noHeaders, Buffer.from('{"cursor":12,"events":[]}'), 0);
  assert.equal(cursor.path('/poll?room=a'), first);
  cursor.update(noHeaders, Buffer.from('{"cursor":13,"events":[]}'), 0);
  assert.equal(cursor.path('/poll?room=a'), '/poll?room=a&since=13');
  // a cursor past the first 200 bytes is not looked for
  cursor.update(noHeaders, Buffer.from(`{"pad":"${'x'.repeat(200)}","cursor":99}`), 7);
  assert.equal(cursor.path('/poll'), '/poll?since=7');
});

test('a slow polling client reads its answers as slowly as its throttle allows, and gets them all', async () => {
  const server = await startReferenceServer({ port: 0, longPollTimeoutMs: 2000 });
  // 64 KB/s against 8 events of 32 KB: reading them takes about three seconds past the burst.
  const slow: SlowReading = { mode: { kind: 'rate', bytesPerSecond: 64 * 1024 }, stallAtMicros: 0 };
  const c = pollerOf(server.url, 'slow', {}, slow, 'long-polling');
  const fast = pollerOf(server.url, 'slow', {}, undefined, 'long-polling');
  try {
    await waitFor(() => c.recorder.connectedNow === 1 && fast.recorder.connectedNow === 1, 'connected');
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    for (let seq = 1; seq <= 8; seq++) {
      const res = await request(`${server.url}/publish`, {
        method: 'POST',
        body: encodeEvent('slow', seq, nowMicros(), 32 * 1024),
      });
      await res.body.dump();
    }
    await waitFor(() => fast.recorder.latency.totalCount === 8, 'fast deliveries', 5000);
    const fastDone = Date.now() - started;
    await waitFor(() => c.recorder.latency.totalCount === 8, 'slow deliveries', 15_000);
    const slowDone = Date.now() - started;
    assert.ok(slowDone > 2000, `256 KB at 64 KB/s took ${slowDone} ms`);
    assert.ok(slowDone > fastDone + 1000, `slow ${slowDone} ms vs fast ${fastDone} ms`);
    const counters = c.recorder.snapshot(8).counters;
    assert.equal(counters.lost, 0);
    assert.equal(counters.errors, 0, JSON.stringify(c.recorder.errorsByType));
  } finally {
    await c.close();
    await fast.close();
    await server.close();
  }
});

test('closing a client aborts its request in flight', async () => {
  const server = await scripted(() => {
    // never answers
  });
  const c = pollerOf(server.url, 'ab', { requestTimeoutMs: 60_000 });
  try {
    await waitFor(() => server.urls.length === 1, 'a request in flight');
    const started = Date.now();
    await c.close();
    assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
    assert.equal(c.recorder.counters.errors, 0, 'an abort by close is no error');
  } finally {
    await server.close();
  }
});

test('a request timeout is a typed error', async () => {
  const server = await scripted((req, res, n) => {
    if (n > 1) json(res, 200, '{"events":[]}');
  });
  const c = pollerOf(server.url, 'to', { requestTimeoutMs: 200 });
  try {
    await waitFor(() => c.recorder.errorsByType.timeout === 1, 'a timeout');
    await waitFor(() => c.recorder.counters.requests >= 1, 'an answer after the timeout');
    assert.equal(c.recorder.counters.reconnects, 1);
  } finally {
    await c.close();
    await server.close();
  }
});
