import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { nowMicros } from '../src/clock.js';
import { encodeEvent } from '../src/events/marker.js';
import { driverFor } from '../src/protocols/registry.js';
import type { DriverOptions, ProtocolName } from '../src/protocols/types.js';
import { driverOptions, endpointsFor, newRecorder, waitFor } from './helpers.js';

/** One request as the fixture saw it: its raw head, and the connection (1, 2, …) it came on. */
interface SeenRequest {
  head: string;
  connection: number;
}

type Answer = (socket: net.Socket, request: SeenRequest, n: number) => void;

/**
 * A raw TCP HTTP fixture on an ephemeral loopback port: it sees each request's exact bytes and
 * answers with exactly the bytes a test writes, so framing the Node HTTP server would never send
 * (chunk extensions, answers with no length, heads that never end) can be tested.
 */
async function rawTarget(answer: Answer) {
  const requests: SeenRequest[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = '';
    socket.on('data', (d) => {
      pending += d.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) !== -1) {
        const request = { head: pending.slice(0, end), connection };
        pending = pending.slice(end + 4);
        requests.push(request);
        answer(socket, request, requests.length);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const ok = (body: string, extra = '') =>
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n` +
  `content-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

/** One client of `protocol` against `url`, until it is closed. */
function clientOf(
  url: string,
  tag: string,
  overrides: Partial<DriverOptions> = {},
  protocol: ProtocolName = 'polling',
) {
  const recorder = newRecorder();
  const options = driverOptions(url, tag, { pollIntervalMs: 10, backoff: { initialMs: 10, maxMs: 20 }, ...overrides });
  const session = driverFor(protocol).openSession(options);
  const client = session.createClient(0, recorder.clientEvents());
  void client.start();
  return { recorder, session, close: () => session.close() };
}

for (const protocol of ['polling', 'long-polling'] as const) {
  test(`${protocol}: a 404 on every request backs off instead of asking in a tight loop; each 404 counts`, async () => {
    const target = await rawTarget((s) => s.write('HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\n\r\nnot found'));
    // The default back-off, as a user with a typo'd path gets it.
    const c = clientOf(target.url, 'nf', { pollIntervalMs: 0, backoff: undefined }, protocol);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const asked = target.requests.length;
      // Without back-off this is tens of thousands; the default back-off (250 ms .. 10 s) allows a few.
      assert.ok(asked >= 2 && asked <= 20, `${asked} requests in 1.5 s`);
      // Every answer is counted, and each is an error (the last request may still be unanswered).
      const answered = c.recorder.counters.requests;
      assert.ok(answered >= asked - 1, `${answered} answers counted of ${asked} requests`);
      assert.equal(c.recorder.errorsByType['http-404'], answered);
      assert.equal(c.recorder.counters.wasted, answered);
      assert.ok(target.connections() === 1, `the connection is kept across 404s (${target.connections()} connections)`);
    } finally {
      await c.close();
      await target.close();
    }
  });
}

test('a 3xx answer backs off too, and is counted by its code', async () => {
  const target = await rawTarget((s) =>
    s.write('HTTP/1.1 302 Found\r\nlocation: /elsewhere\r\ncontent-length: 0\r\n\r\n'),
  );
  const c = clientOf(target.url, 'rd', { pollIntervalMs: 0, backoff: { initialMs: 100, maxMs: 200 } });
  try {
    await new Promise((r) => setTimeout(r, 600));
    assert.ok(target.requests.length <= 20, `${target.requests.length} requests in 0.6 s`);
    assert.ok((c.recorder.errorsByType['http-302'] ?? 0) >= 1);
  } finally {
    await c.close();
    await target.close();
  }
});

test('requests: plain GETs with the target headers and the cursor, no accept-encoding, one connection', async () => {
  const tag = 'rq';
  const target = await rawTarget((s, _r, n) =>
    s.write(ok(n === 1 ? '{"cursor":41,"events":[]}' : '{"cursor":42,"events":[]}')),
  );
  const endpoints = endpointsFor(target.url, {
    headers: { authorization: 'Bearer t0k', 'x-trace': 'a b', 'accept-encoding': 'gzip' },
  });
  const c = clientOf(target.url, tag, { target: endpoints, pollIntervalMs: 0 });
  try {
    await waitFor(() => target.requests.length >= 20, '20 requests');
    const [first, second] = target.requests;
    const port = new URL(target.url).port;
    assert.equal(
      first.head,
      `GET /poll HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nauthorization: Bearer t0k\r\nx-trace: a b`,
    );
    assert.match(second.head, /^GET \/poll\?since=41 HTTP\/1\.1\r\n/);
    assert.ok(target.requests.slice(2).every((r) => r.head.startsWith('GET /poll?since=42 HTTP/1.1\r\n')));
    assert.ok(
      target.requests.every((r) => r.connection === 1),
      'every request on the first connection',
    );
    assert.equal(c.recorder.counters.errors, 0, JSON.stringify(c.recorder.errorsByType));
  } finally {
    await c.close();
    await target.close();
  }
});

test('http-cache cursor: ETag, Last-Modified come back as If-None-Match, If-Modified-Since; 304 wasted', async () => {
  const tag = 'hc';
  const target = await rawTarget((s, _r, n) => {
    if (n === 1) return s.write(ok('{"events":[]}', 'etag: "e1"\r\nlast-modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n'));
    if (n === 3) return s.write(ok(`{"events":[${encodeEvent(tag, 1, nowMicros(), 64)}]}`, 'ETag: "e2"\r\n'));
    s.write('HTTP/1.1 304 Not Modified\r\netag: "e2"\r\n\r\n');
  });
  const c = clientOf(target.url, tag, { target: endpointsFor(target.url, { cursor: 'http-cache' }) });
  try {
    await waitFor(() => target.requests.length >= 6, '6 requests');
    const heads = target.requests.map((r) => r.head);
    assert.doesNotMatch(heads[0], /if-none-match|if-modified-since/i);
    assert.match(heads[1], /\r\nif-modified-since: Mon, 01 Jan 2024 00:00:00 GMT(\r\n|$)/);
    assert.match(heads[1], /\r\nif-none-match: "e1"(\r\n|$)/);
    assert.match(heads[5], /\r\nif-none-match: "e2"(\r\n|$)/);
    assert.ok(
      heads.every((h) => h.startsWith('GET /poll HTTP/1.1\r\n')),
      'no ?since= in http-cache mode',
    );
    await waitFor(() => c.recorder.counters.requests >= 5, '5 answers counted');
    assert.equal(c.recorder.latency.totalCount, 1);
    // Only the answer with the event was useful: the first (empty) and the 304s were wasted.
    assert.equal(c.recorder.counters.wasted, c.recorder.counters.requests - 1);
    assert.equal(c.recorder.counters.errors, 0, JSON.stringify(c.recorder.errorsByType));
  } finally {
    await c.close();
    await target.close();
  }
});

test('a chunked answer cut across writes, with extensions and trailers, is read right; connection reused', async () => {
  const tag = 'ch';
  const events = [1, 2].map((seq) => encodeEvent(tag, seq, nowMicros(), 300));
  const body = `{"cursor":2,"events":[${events.join(',')}]}`;
  const target = await rawTarget((s, _r, n) => {
    if (n > 1)
      return s.write(
        'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n19\r\n{"cursor":2,"events":[]}\n\r\n0\r\n\r\n',
      );
    const cut = body.indexOf(`~rtb:${tag}:2:`) + 6;
    const first = body.slice(0, cut);
    const second = body.slice(cut);
    s.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${first.length.toString(16)};ext=1\r\n${first}\r\n`);
    setTimeout(() => s.write(`${second.length.toString(16).toUpperCase()}\r\n${second}`), 20);
    setTimeout(() => s.write('\r\n0\r\nx-checksum: none\r\n\r\n'), 40);
  });
  const c = clientOf(target.url, tag);
  try {
    await waitFor(
      () => c.recorder.latency.totalCount === 2 && c.recorder.counters.requests >= 4,
      'deliveries and more answers',
    );
    const counters = c.recorder.snapshot(2).counters;
    assert.equal(counters.delivered, 2);
    assert.equal(counters.errors, 0, JSON.stringify(c.recorder.errorsByType));
    assert.ok(
      target.requests.slice(1).every((r) => r.head.startsWith('GET /poll?since=2 ')),
      'the cursor came out of the chunked body',
    );
    assert.equal(target.connections(), 1, 'a chunked answer read to its end leaves the connection reusable');
  } finally {
    await c.close();
    await target.close();
  }
});

test('an answer with connection: close is read whole; the next request goes on a new connection', async () => {
  const tag = 'cc';
  const target = await rawTarget((s, _r, n) => {
    const body =
      n === 1 ? `{"cursor":1,"events":[${encodeEvent(tag, 1, nowMicros(), 64)}]}` : '{"cursor":1,"events":[]}';
    // Head and body in separate writes, then the close: the client must not take the close for an error.
    s.write(`HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n`);
    setTimeout(() => s.end(body), 5);
  });
  const c = clientOf(target.url, tag);
  try {
    await waitFor(() => target.requests.length >= 4 && c.recorder.counters.requests >= 3, '4 requests');
    assert.equal(c.recorder.latency.totalCount, 1);
    assert.equal(c.recorder.counters.errors, 0, JSON.stringify(c.recorder.errorsByType));
    assert.equal(c.recorder.counters.reconnects, 0, 'a server that closes after each answer is no failure');
    assert.ok(
      target.requests.every((r, i) => r.connection === i + 1),
      'one connection per request',
    );
  } finally {
    await c.close();
    await target.close();
  }
});

test('an HTTP/1.0 answer without a length runs until the close', async () => {
  const tag = 'uc';
  const target = await rawTarget((s, _r, n) => {
    const body =
      n === 1 ? `{"cursor":1,"events":[${encodeEvent(tag, 1, nowMicros(), 64)}]}` : '{"cursor":1,"events":[]}';
    s.write('HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n');
    s.write(body.slice(0, 10));
    setTimeout(() => s.end(body.slice(10)), 5);
  });
  const c = clientOf(target.url, tag);
  try {
    await waitFor(() => c.recorder.counters.requests >= 3, '3 answers');
    assert.equal(c.recorder.latency.totalCount, 1);
    assert.equal(c.recorder.counters.errors, 0, JSON.stringify(c.recorder.errorsByType));
    assert.ok(target.requests.slice(1).every((r) => r.head.startsWith('GET /poll?since=1 ')));
  } finally {
    await c.close();
    await target.close();
  }
});

test(
  'an endless answer is cut at the limit (answer-too-big), its connection dropped and re-opened after a back-off; ' +
    'memory stays bounded',
  { timeout: 30_000 },
  async () => {
    const limit = 1024 * 1024;
    const piece = Buffer.alloc(64 * 1024, 0x78);
    const target = await rawTarget((s) => {
      s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
      // Writes chunks while the client reads, up to 256 MiB per answer (bounded, far past the limit).
      let sent = 0;
      const pump = () => {
        while (!s.destroyed && sent < 4096) {
          sent++;
          if (!s.write(`${piece.length.toString(16)}\r\n`) || !s.write(piece) || !s.write('\r\n'))
            return void s.once('drain', pump);
        }
      };
      pump();
    });
    const before = process.memoryUsage();
    const c = clientOf(target.url, 'big', {
      limits: { pollMaxAnswerBytes: limit },
      backoff: { initialMs: 20, maxMs: 50 },
    });
    try {
      await waitFor(() => (c.recorder.errorsByType['answer-too-big'] ?? 0) >= 5, '5 answers too big', 20_000);
      const after = process.memoryUsage();
      const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
      assert.ok(grown < 64 * 1024 * 1024, `heap and buffers grew ${(grown / 1e6).toFixed(1)} MB`);
      assert.ok(
        target.connections() >= 5,
        `each answer too big drops its connection (${target.connections()} connections)`,
      );
      assert.ok(c.recorder.counters.reconnects >= 4);
    } finally {
      await c.close();
      await target.close();
    }
  },
);

test('an announced content-length over the limit is refused before its body is read', async () => {
  const target = await rawTarget((s) => s.write('HTTP/1.1 200 OK\r\ncontent-length: 100000000000\r\n\r\n{"cursor":'));
  const c = clientOf(target.url, 'cl', { limits: { pollMaxAnswerBytes: 1000 } });
  try {
    await waitFor(() => (c.recorder.errorsByType['answer-too-big'] ?? 0) >= 2, 'two answers too big');
  } finally {
    await c.close();
    await target.close();
  }
});

test('a response head over 16 KiB is http-head-too-big', async () => {
  const target = await rawTarget((s) =>
    s.write(`HTTP/1.1 200 OK\r\nx-padding: ${'p'.repeat(20 * 1024)}\r\ncontent-length: 2\r\n\r\n{}`),
  );
  const c = clientOf(target.url, 'hd');
  try {
    await waitFor(() => (c.recorder.errorsByType['http-head-too-big'] ?? 0) >= 2, 'two heads too big');
  } finally {
    await c.close();
    await target.close();
  }
});

test('a body that never ends is cut by the request timeout', async () => {
  const target = await rawTarget((s) => s.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"cursor":1'));
  const c = clientOf(target.url, 'ne', { requestTimeoutMs: 200 });
  try {
    await waitFor(() => (c.recorder.errorsByType.timeout ?? 0) >= 2, 'two timeouts', 5000);
    assert.ok(target.connections() >= 2, 'a timed-out connection is not reused');
  } finally {
    await c.close();
    await target.close();
  }
});

test('a keep-alive connection the server closed while idle is replaced without an error', async () => {
  const target = await rawTarget((s) => {
    // Answers, then closes the connection shortly after, as servers do with idle keep-alive connections.
    s.write(ok('{"cursor":1,"events":[]}'));
    setTimeout(() => s.destroy(), 10);
  });
  const c = clientOf(target.url, 'ka', { pollIntervalMs: 50 });
  try {
    await waitFor(() => c.recorder.counters.requests >= 4, '4 answers');
    assert.equal(c.recorder.counters.errors, 0, JSON.stringify(c.recorder.errorsByType));
    assert.ok(target.connections() >= 3);
  } finally {
    await c.close();
    await target.close();
  }
});

test('connected counts the TCP connection being up, before any answer', async () => {
  const target = await rawTarget(() => {
    // never answers
  });
  const c = clientOf(target.url, 'up', {}, 'long-polling');
  try {
    await waitFor(() => c.recorder.connectedNow === 1, 'connected without an answer');
  } finally {
    await c.close();
    await target.close();
  }
});
