import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { nowMicros } from '../src/clock.js';
import { encodeEvent } from '../src/events/marker.js';
import { driverFor } from '../src/protocols/registry.js';
import { selfSignedCertificate } from '../src/server/tls.js';
import type { DriverOptions } from '../src/protocols/types.js';
import { startRawHttpServer, type RawHttpServer } from './fixtures/raw-http-server.js';
import { driverOptions, endpointsFor, newRecorder, waitFor } from './helpers.js';

const SSE_HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n';

/** One SSE client of the driver against `url`; quick back-off so errors repeat within a test. */
async function sseClient(url: string, overrides: Partial<DriverOptions> = {}) {
  const recorder = newRecorder();
  const options = driverOptions(url, 'lean', { backoff: { initialMs: 20, maxMs: 100 }, ...overrides });
  const session = driverFor('sse').openSession(options);
  const client = session.createClient(0, recorder.clientEvents());
  await client.start();
  return { recorder, session, errors: () => recorder.errorsByType };
}

type Answer = (socket: Socket, index: number, request: string) => void;

async function withServer(answer: Answer, body: (s: RawHttpServer) => Promise<void>): Promise<void> {
  const server = await startRawHttpServer(answer);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

test('sse client delivers every event of a stream framed by connection close (nginx with nchan sends it so)', () =>
  withServer(
    (socket, index) => {
      socket.write(`${SSE_HEAD}connection: close\r\n\r\n`);
      if (index > 0) return; // a reconnect gets an open stream and nothing more
      for (let seq = 1; seq <= 20; seq++) socket.write(`data: ${encodeEvent('lean', seq, nowMicros(), 128)}\n\n`);
      setTimeout(() => socket.end(), 200);
    },
    async (server) => {
      const { recorder, session, errors } = await sseClient(server.url);
      try {
        await waitFor(() => recorder.latency.totalCount === 20, '20 deliveries');
        await waitFor(() => (errors()['sse-disconnected'] ?? 0) === 1, 'the close to end the stream');
        await waitFor(() => server.requests.length === 2, 'a reconnect');
        const snap = recorder.snapshot(20);
        assert.equal(snap.counters.delivered, 20);
        assert.equal(snap.counters.lost, 0);
        assert.equal(snap.counters.duplicated, 0);
        assert.deepEqual(Object.keys(errors()), ['sse-disconnected']);
        assert.ok(session.wireBytes().in > 20 * 128, 'bytes counted at the socket');
      } finally {
        await session.close();
      }
    },
  ));

test('sse client sends Accept, Cache-Control, target headers, Last-Event-ID on reconnect, no Accept-Encoding', () =>
  withServer(
    (socket, index) => {
      const event = 'id: 41\ndata: {}\n\n';
      if (index === 0) socket.end(`${SSE_HEAD}transfer-encoding: chunked\r\n\r\n11\r\n${event}\r\n0\r\n\r\n`);
      else socket.write(`${SSE_HEAD}\r\n`);
    },
    async (server) => {
      const headers = { Authorization: 'Bearer s3cret', 'Accept-Encoding': 'gzip' };
      const target = endpointsFor(server.url, { headers });
      const { session } = await sseClient(server.url, { target });
      try {
        await waitFor(() => server.requests.length === 2, 'a reconnect');
        const [first, second] = server.requests.map((r) => r.toLowerCase());
        assert.match(first, /^get \/sse http\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\n/);
        assert.match(first, /\r\naccept: text\/event-stream(\r\n|$)/);
        assert.match(first, /\r\ncache-control: no-cache(\r\n|$)/);
        assert.match(first, /\r\nauthorization: bearer s3cret(\r\n|$)/);
        assert.doesNotMatch(first, /accept-encoding|last-event-id/);
        assert.match(second, /\r\nlast-event-id: 41(\r\n|$)/);
      } finally {
        await session.close();
      }
    },
  ));

test('sse client turns a never-ending line into sse-line-too-long, reconnects, and its memory stays bounded', () => {
  const sentPerConnection: number[] = [];
  return withServer(
    (socket, index) => {
      // An endless line, 64 KiB at a time, paced by the socket's own backpressure; at most 64 MiB
      // per connection so the test stops by itself even if the client never gave up.
      sentPerConnection[index] = 0;
      const piece = Buffer.alloc(64 * 1024, 'x');
      socket.write(`${SSE_HEAD}\r\ndata: `);
      const pump = () => {
        while (!socket.destroyed && sentPerConnection[index] < 64 * 1024 * 1024) {
          sentPerConnection[index] += piece.length;
          if (!socket.write(piece)) return void socket.once('drain', pump);
        }
      };
      pump();
    },
    async (server) => {
      const baseline = process.memoryUsage().heapUsed;
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
      const { session, errors } = await sseClient(server.url);
      try {
        await waitFor(() => (errors()['sse-line-too-long'] ?? 0) >= 3, 'three sse-line-too-long', 20_000);
      } finally {
        clearInterval(sampler);
        await session.close();
      }
      assert.ok(server.requests.length >= 3, 'the client reconnected after each');
      // The default bound is 1 MiB of line; the heap may hold it as a few strings and a read or two.
      assert.ok(peak - baseline < 32 * 1024 * 1024, `heap grew by ${((peak - baseline) / 1048576).toFixed(1)} MiB`);
      assert.ok(sentPerConnection[0] < 64 * 1024 * 1024, 'the client gave up before the server stopped on its own');
    },
  );
});

test('sse client bounds a whole event: short data lines past limits.sseMaxEventBytes are sse-line-too-long', () =>
  withServer(
    (socket) => {
      socket.write(`${SSE_HEAD}\r\n`);
      for (let i = 0; i < 2000 && !socket.destroyed; i++) socket.write('data: 0123456789abcdef\n');
    },
    async (server) => {
      const { session, errors } = await sseClient(server.url, { limits: { sseMaxEventBytes: 16 * 1024 } });
      try {
        await waitFor(() => (errors()['sse-line-too-long'] ?? 0) >= 1, 'sse-line-too-long');
      } finally {
        await session.close();
      }
    },
  ));

test('sse client counts a timeout against a target that accepts and never answers, or trickles its head', async () => {
  for (const trickle of [false, true]) {
    await withServer(
      (socket) => {
        if (!trickle) return; // silent
        socket.write('HTTP/1.1 200 OK\r\nx-slow: ');
        // One byte every 50 ms: an idle timeout would never fire; the head's deadline does.
        const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write('a')), 50);
        socket.once('close', () => clearInterval(timer));
      },
      async (server) => {
        const began = Date.now();
        const { session, errors } = await sseClient(server.url, { requestTimeoutMs: 300 });
        try {
          await waitFor(() => (errors().timeout ?? 0) >= 1, `timeout (${trickle ? 'trickled head' : 'silent'})`, 5000);
          assert.ok(Date.now() - began >= 290, 'not before requestTimeoutMs');
          assert.deepEqual(Object.keys(errors()), ['timeout']);
        } finally {
          await session.close();
        }
      },
    );
  }
});

/** Raw answers and the typed error each must give. */
const REFUSALS: Array<[string, string, string]> = [
  ['a head over 16 KiB', `${SSE_HEAD}x-big: ${'a'.repeat(17 * 1024)}\r\n\r\n`, 'http-head-too-big'],
  ['a head that is not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n', 'http-malformed-head'],
  ['a header line without a colon', `${SSE_HEAD}no colon here\r\n\r\n`, 'http-malformed-head'],
  ['two different lengths', `${SSE_HEAD}content-length: 4, 5\r\n\r\n`, 'http-malformed-head'],
  ['a gzip body never asked for', `${SSE_HEAD}content-encoding: gzip\r\n\r\n\x1f\x8b`, 'sse-compressed-body'],
  ['a gzip transfer coding', `${SSE_HEAD}transfer-encoding: gzip, chunked\r\n\r\n`, 'sse-compressed-body'],
  ['a broken chunk header', `${SSE_HEAD}transfer-encoding: chunked\r\n\r\nnot-hex\r\n`, 'http-malformed-chunk'],
  ['a redirect', 'HTTP/1.1 302 Found\r\nlocation: /elsewhere\r\ncontent-length: 0\r\n\r\n', 'http-302'],
  ['a 503', 'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n', 'http-5xx'],
  ['HTML', 'HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 2\r\n\r\nhi', 'sse-wrong-content-type'],
  ['an empty stream', `${SSE_HEAD}content-length: 0\r\n\r\n`, 'sse-disconnected'],
  ['a close before any answer', '', 'socket-closed'],
];

for (const [what, answer, kind] of REFUSALS) {
  test(`sse client against ${what} counts ${kind} and tries again`, () =>
    withServer(
      (socket) => void (answer ? socket.end(answer) : socket.destroy()),
      async (server) => {
        const { session, errors, recorder } = await sseClient(server.url);
        try {
          await waitFor(() => (errors()[kind] ?? 0) >= 2, `${kind} twice (got ${JSON.stringify(errors())})`);
          assert.deepEqual(Object.keys(errors()), [kind], `only ${kind}`);
          const opened = kind === 'sse-disconnected' || kind === 'http-malformed-chunk'; // the head was fine
          assert.equal(recorder.counters.reconnects > 0, opened, 'only an opened stream counts as a reconnect');
        } finally {
          await session.close();
        }
      },
    ));
}

test('sse client skips 1xx answers (103 Early Hints) before the stream', () =>
  withServer(
    (socket) => {
      socket.write('HTTP/1.1 103 Early Hints\r\nlink: </x.css>; rel=preload\r\n\r\n');
      socket.write(`${SSE_HEAD}\r\ndata: ${encodeEvent('lean', 1, nowMicros(), 64)}\n\n`);
    },
    async (server) => {
      const { recorder, session } = await sseClient(server.url);
      try {
        await waitFor(() => recorder.latency.totalCount === 1, 'the event after the 103');
        assert.deepEqual(recorder.errorsByType, {});
      } finally {
        await session.close();
      }
    },
  ));

test('sse client reads an https stream, trusting the given certificate, and counts the encrypted bytes', async () => {
  const material = selfSignedCertificate();
  const events = Array.from({ length: 20 }, (_, i) => encodeEvent('lean', i + 1, nowMicros(), 128));
  const server = https.createServer(material, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const e of events) res.write(`data: ${e}\n\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const trusted = await sseClient(url, { target: { ...endpointsFor(url), tls: { ca: material.cert } } });
  const untrusted = await sseClient(url);
  try {
    await waitFor(() => trusted.recorder.latency.totalCount === 20, '20 deliveries over TLS');
    assert.deepEqual(trusted.errors(), {});
    const plaintext = events.reduce((n, e) => n + e.length + 8, 0);
    // The TCP socket's count: the handshake and each record's header and tag come on top of the events.
    assert.ok(trusted.session.wireBytes().in > plaintext + 500, `${trusted.session.wireBytes().in} B on the wire`);
    await waitFor(() => (untrusted.errors()['depth_zero_self_signed_cert'] ?? 0) > 0, 'an untrusted certificate');
    assert.equal(untrusted.recorder.latency.totalCount, 0);
  } finally {
    await trusted.session.close();
    await untrusted.session.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
