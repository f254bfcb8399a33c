import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { request } from 'undici';
import WebSocket from 'ws';
import { startReferenceServer, type ReferenceServer } from '../src/server/server.js';
import type { ServerOptions } from '../src/server-core/context.js';
import { publish, waitFor } from './helpers.js';

async function withServer(options: Partial<ServerOptions>, body: (s: ReferenceServer) => Promise<void>): Promise<void> {
  const server = await startReferenceServer({ port: 0, ...options });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/** Writes raw bytes on a new TCP connection and resolves with everything the server sent until it closed. */
function raw(url: string, bytes: string | Buffer, keepOpenMs = 0): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    let got = '';
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(got));
    socket.write(bytes);
    if (keepOpenMs) setTimeout(() => socket.end(), keepOpenMs);
  });
}

const rejected = (s: ReferenceServer, reason: string) => s.metrics().stress?.rejected[reason] ?? 0;

test('a request header over the limit gets 431 and is counted', () =>
  withServer({ maxHeaderBytes: 2048 }, async (s) => {
    const answer = await raw(s.url, `GET /poll HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(8000)}\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 431/);
    assert.equal(rejected(s, 'header-too-large'), 1);
  }));

test('a client that never finishes its headers (slowloris) is cut off after the header timeout', () =>
  withServer({ headersTimeoutMs: 300 }, async (s) => {
    const began = Date.now();
    const answer = await raw(s.url, 'GET /poll HTTP/1.1\r\nhost: x\r\nx-slow: ');
    assert.ok(Date.now() - began < 5000, 'closed well before the test gives up');
    assert.match(answer, /^HTTP\/1\.1 408|^$/);
    assert.equal(rejected(s, 'header-timeout'), 1);
  }));

test('connections over the limit get 503 and are counted; the server still serves the others', () =>
  withServer({ maxConnections: 3 }, async (s) => {
    const held = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<net.Socket>((r) => {
            const c = net.connect(Number(new URL(s.url).port), '127.0.0.1', () => r(c));
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
    const answer = await raw(s.url, 'GET /poll HTTP/1.1\r\nhost: x\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 503/);
    assert.equal(rejected(s, 'too-many-connections'), 1);
    // A refused connection's request is not served: its publish is not an event.
    const body = '{"refused":true}';
    const refusedPublish = await raw(
      s.url,
      `POST /publish HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      300,
    );
    assert.match(refusedPublish, /^HTTP\/1\.1 503/);
    assert.doesNotMatch(refusedPublish, /HTTP\/1\.1 20\d/);
    assert.equal(s.metrics().events.lastId, 0, 'nothing was published');
    for (const c of held) c.destroy();
    await waitFor(() => s.metrics().connections.other === 0, 'held sockets to close');
    await new Promise((r) => setTimeout(r, 50));
    const res = await request(`${s.url}/poll`);
    assert.equal(res.statusCode, 200);
    await res.body.dump();
  }));

test('a WebSocket message over the limit closes that client with 1009 and is counted', () =>
  withServer({ maxMessageBytes: 1024 }, async (s) => {
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}/ws`);
    await new Promise((r) => ws.once('open', r));
    const code = await new Promise<number>((resolve) => {
      ws.once('close', (c) => resolve(c));
      ws.send(Buffer.alloc(4096, 1));
    });
    assert.equal(code, 1009);
    await waitFor(() => rejected(s, 'message-too-large') === 1, 'the rejection to be counted');
  }));

test('cursors that are not numbers are refused; cursors far in the future resume from the oldest event held', () =>
  withServer({}, async (s) => {
    await publish(s.url, 'cur', 1, 3);
    for (const bad of ['abc', '-1', '1e9', '9'.repeat(40), "1' OR 1=1"]) {
      const res = await request(`${s.url}/poll?since=${encodeURIComponent(bad)}`);
      assert.equal(res.statusCode, 400, `since=${bad}`);
      await res.body.dump();
    }
    const res = await request(`${s.url}/poll?since=999999999999999`);
    const body = (await res.body.json()) as { cursor: number; events: unknown[] };
    assert.equal(body.events.length, 3, 'a cursor from an earlier server life gets what this life holds');
    assert.equal(body.cursor, 3);
  }));

test('a malformed request target gets 400 and the server keeps serving', () =>
  withServer({}, async (s) => {
    const answer = await raw(s.url, 'GET http://[bad HTTP/1.1\r\nhost: x\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400/);
    const res = await request(`${s.url}/metrics`);
    assert.equal(res.statusCode, 200);
    await res.body.dump();
  }));

test('with a token, HTTP needs the bearer header (or the cookie) and refusals are counted', () =>
  withServer({ token: 's3cret' }, async (s) => {
    const status = async (path: string, headers: Record<string, string>) => {
      const res = await request(`${s.url}${path}`, { headers });
      await res.body.dump();
      return res.statusCode;
    };
    assert.equal(await status('/poll', {}), 401);
    assert.equal(await status('/poll', { authorization: 'Bearer wrong' }), 401);
    assert.equal(await status('/poll', { authorization: 'Bearer s3cret' }), 200);
    assert.equal(await status('/publish', {}), 401);
    const sse = await request(`${s.url}/sse`, { headers: { cookie: 'theme=dark; rtbench_token=s3cret' } });
    assert.equal(sse.statusCode, 200);
    assert.match(String(sse.headers['content-type']), /text\/event-stream/);
    sse.body.destroy();
    assert.equal(s.metrics().stress?.authRejected, 3);
  }));

test('with a token, WebSocket takes it as a subprotocol or a first message; a wrong one gets 401 or close 1008', () =>
  withServer({ token: 's3cret' }, async (s) => {
    const wsUrl = `${s.url.replace('http', 'ws')}/ws`;
    // Subprotocol (what a browser can do): accepted, and the server answers with a plain protocol.
    const sub = new WebSocket(wsUrl, ['rtbench', 'bearer.s3cret']);
    await new Promise((r) => sub.once('open', r));
    assert.equal(sub.protocol, 'rtbench');
    const viaSub = new Promise<string>((r) => sub.once('message', (d: Buffer) => r(d.toString())));
    // First message: the connection opens, but events flow only after the token.
    const first = new WebSocket(wsUrl);
    await new Promise((r) => first.once('open', r));
    first.send(JSON.stringify({ token: 's3cret' }));
    const viaFirst = new Promise<string>((r) => first.once('message', (d: Buffer) => r(d.toString())));
    await new Promise((r) => setTimeout(r, 100));
    const res = await request(`${s.url}/publish`, {
      method: 'POST',
      body: '{"hello":1}',
      headers: { authorization: 'Bearer s3cret' },
    });
    await res.body.dump();
    assert.match(await viaSub, /"hello":1/);
    assert.match(await viaFirst, /"hello":1/);
    // A wrong first message closes with 1008; a wrong header token is refused at the handshake.
    const wrong = new WebSocket(wsUrl);
    await new Promise((r) => wrong.once('open', r));
    const closed = new Promise<number>((r) => wrong.once('close', (c) => r(c)));
    wrong.send('{"token":"nope"}');
    assert.equal(await closed, 1008);
    const refused = new WebSocket(wsUrl, { headers: { authorization: 'Bearer nope' } });
    refused.on('error', () => {});
    const status = await new Promise<number>((r) =>
      refused.once('unexpected-response', (_q, res) => r(res.statusCode ?? 0)),
    );
    assert.equal(status, 401);
    refused.terminate();
    sub.close();
    first.close();
    await waitFor(() => s.metrics().stress?.authRejected === 2, 'two refusals counted');
  }));

/** mulberry32: a small seeded PRNG, so a failing fuzz run can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = [
  'GET /poll?since=0 HTTP/1.1\r\nhost: x\r\n\r\n',
  'GET /sse HTTP/1.1\r\nhost: x\r\nlast-event-id: 5\r\n\r\n',
  'GET /long-poll?since=1 HTTP/1.1\r\nhost: x\r\n\r\n',
  'POST /publish HTTP/1.1\r\nhost: x\r\ncontent-length: 11\r\n\r\n{"fuzz":1}\n',
  'GET /ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: ' +
    'dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n',
];

/** One hostile input: random bytes, a truncated request, a request with a mangled byte, or garbage after an upgrade. */
function fuzzInput(rand: () => number): Buffer {
  const pick = VALID[Math.floor(rand() * VALID.length)];
  const kind = Math.floor(rand() * 4);
  if (kind === 0)
    return Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 2048) }, () => Math.floor(rand() * 256)));
  if (kind === 1) return Buffer.from(pick.slice(0, Math.floor(rand() * pick.length)), 'latin1');
  if (kind === 2) {
    const b = Buffer.from(pick, 'latin1');
    for (let i = 0; i < 3; i++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    return b;
  }
  const frames = Buffer.from(Array.from({ length: 2 + Math.floor(rand() * 512) }, () => Math.floor(rand() * 256)));
  return Buffer.concat([Buffer.from(VALID[4], 'latin1'), frames]);
}

test(
  'fuzz: 3 s of random and truncated requests and frames (seeded) leave the server serving and its memory bounded',
  { timeout: 30_000 },
  () =>
    withServer({ headersTimeoutMs: 500, maxMessageBytes: 4096 }, async (s) => {
      const seed = 20240611;
      const rand = prng(seed);
      const before = s.metrics(true).memory.heapUsed;
      const end = Date.now() + 3000;
      let sent = 0;
      // At most 20 connections in flight and 5,000 inputs in all: the loop is bounded in count and time.
      while (Date.now() < end && sent < 5000) {
        await Promise.all(Array.from({ length: 20 }, () => raw(s.url, fuzzInput(rand), 30 + Math.floor(rand() * 100))));
        sent += 20;
      }
      await waitFor(
        () =>
          s.metrics().connections.polling +
            s.metrics().connections.other +
            s.metrics().connections.websocket +
            s.metrics().connections.sse +
            s.metrics().connections['long-polling'] ===
          0,
        'fuzz connections to close',
        5000,
      );
      const after = s.metrics(true).memory.heapUsed;
      assert.ok(sent >= 100, `sent ${sent} inputs (seed ${seed})`);
      assert.ok(
        after - before < 32 * 1024 * 1024,
        `heap grew ${((after - before) / 1e6).toFixed(1)} MB after ${sent} inputs (seed ${seed})`,
      );
      await publish(s.url, 'fz', 1, 2);
      const res = await request(`${s.url}/poll?since=0`);
      assert.equal(res.statusCode, 200, `still serving after ${sent} inputs (seed ${seed})`);
      assert.match(await res.body.text(), /~rtb:fz:2:/);
    }),
);

for (const token of [null, 's3cret']) {
  test(`a malformed token cookie is refused or ignored, never a crash (${token ? 'with' : 'without'} a token)`, () =>
    withServer({ token }, async (s) => {
      for (const cookie of ['rtbench_token=%', 'rtbench_token=%zz%', 'rtbench_token=%E0%A4%A', '=;;rtbench_token']) {
        const res = await request(`${s.url}/poll`, { headers: { cookie } });
        await res.body.dump();
        assert.equal(res.statusCode, token ? 401 : 200, cookie);
      }
      const auth = token ? { authorization: `Bearer ${token}` } : {};
      const res = await request(`${s.url}/metrics`, { headers: auth });
      assert.equal(res.statusCode, 200, 'the server is still up');
      await res.body.dump();
    }));
}

test('HEAD on a protocol path is answered with a status and no body, and holds no stream open', () =>
  withServer({}, async (s) => {
    for (const path of ['/sse', '/poll', '/long-poll']) {
      const answer = await raw(s.url, `HEAD ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 200/, path);
    }
    assert.equal(s.metrics().connections.sse, 0);
  }));

test('a WebSocket client that begins a fragmented message and never finishes it is closed and counted', () =>
  withServer({ wsFragmentTimeoutMs: 300 }, async (s) => {
    const url = `${s.url.replace('http', 'ws')}/ws`;
    const stuck = new WebSocket(url);
    const fine = new WebSocket(url);
    await Promise.all([stuck, fine].map((w) => new Promise((r) => w.once('open', r))));
    const began = Date.now();
    const closed = new Promise<number>((resolve) => stuck.once('close', () => resolve(Date.now() - began)));
    stuck.send('{"half":', { fin: false });
    // A fragmented message that is finished in time is a message like any other.
    fine.send('{"whole":', { fin: false });
    fine.send('1}', { fin: true });
    const after = await closed;
    assert.ok(after >= 250 && after < 3000, `closed after ${after} ms`);
    assert.equal(rejected(s, 'fragment-timeout'), 1);
    assert.equal(fine.readyState, WebSocket.OPEN);
    fine.close();
  }));

/** Header values a hostile client might send: escapes that do not decode, huge numbers, quotes, control bytes. */
const NASTY = [
  '%',
  '%E0%A4%A',
  '%%%',
  '%zz',
  '"',
  'W/"',
  '-1',
  '1e999',
  '9'.repeat(40),
  'bearer.',
  'x'.repeat(4000),
  '\u00ff\u00fe',
  'a=b; c',
  ';;;',
  '=',
  'NaN',
];
const HEADERS = [
  'cookie: rtbench_token=',
  'cookie: a=1; rtbench_token=',
  'authorization: Bearer ',
  'authorization: ',
  'last-event-id: ',
  'if-none-match: ',
  'if-modified-since: ',
  'sec-websocket-protocol: bearer.',
  'sec-websocket-protocol: ',
  'sec-websocket-key: ',
  'sec-websocket-version: ',
];
const PATHS = ['/poll?since=0', '/sse', '/long-poll?since=0', '/ws', '/metrics', '/publish?room=a'];

/** A well-formed request whose header values (cookies, token, cursors, WebSocket fields) are hostile. */
function fuzzHeaders(rand: () => number): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const path = pick(PATHS);
  const lines = [`GET ${path} HTTP/1.1`, 'host: x'];
  if (path === '/ws') lines.push('upgrade: websocket', 'connection: Upgrade');
  for (let i = 0, n = 1 + Math.floor(rand() * 4); i < n; i++)
    lines.push(pick(HEADERS) + pick(NASTY) + (rand() < 0.3 ? pick(NASTY) : ''));
  return lines.join('\r\n') + '\r\n\r\n';
}

for (const token of [null, 'secret']) {
  test(
    `fuzz: hostile header and cookie values never crash the server (seeded, ${token ? 'with' : 'without'} a token)`,
    { timeout: 30_000 },
    () =>
      withServer({ token, headersTimeoutMs: 500 }, async (s) => {
        const seed = 20261129;
        const rand = prng(seed);
        const end = Date.now() + 2000;
        let sent = 0;
        // Bounded: at most 20 in flight, 2,000 in all, 2 s.
        while (Date.now() < end && sent < 2000) {
          await Promise.all(
            Array.from({ length: 20 }, () => raw(s.url, fuzzHeaders(rand), 20 + Math.floor(rand() * 50))),
          );
          sent += 20;
        }
        assert.ok(sent >= 100, `sent ${sent} requests (seed ${seed})`);
        const headers = token ? { authorization: `Bearer ${token}` } : {};
        const res = await request(`${s.url}/poll?since=0`, { headers });
        assert.equal(res.statusCode, 200, `still serving after ${sent} requests (seed ${seed})`);
        await res.body.dump();
      }),
  );
}
