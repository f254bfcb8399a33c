import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { request } from 'undici';
import { nowMicros } from '../src/clock.js';
import { encodeEvent } from '../src/events/marker.js';
import { collectGarbage } from '../src/metrics/gc.js';
import { driverFor } from '../src/protocols/registry.js';
import { WsConnection } from '../src/protocols/websocket/connection.js';
import type { DriverOptions } from '../src/protocols/types.js';
import { startReferenceServer } from '../src/server/server.js';
import { driverOptions, endpointsFor, newRecorder, waitFor } from './helpers.js';
import {
  answerWith,
  frameHeader,
  parseClientFrames,
  serverFrame,
  startRawWsServer,
  switchingProtocols,
  type ClientFrame,
  type RawWsServer,
  type UpgradeRequest,
} from './fixtures/raw-ws-server.js';

const FAST_RETRY = { backoff: { initialMs: 50, maxMs: 200 }, requestTimeoutMs: 2000 };

/** Runs two WebSocket driver clients against `server` until `kind` was counted twice; returns the errors seen. */
async function expectError(server: RawWsServer, kind: string, overrides: Partial<DriverOptions> = {}) {
  const recorder = newRecorder();
  const options = driverOptions(server.url, 'lean', { ...FAST_RETRY, ...overrides });
  const session = driverFor('websocket').openSession(options);
  try {
    const clients = [0, 1].map((i) => session.createClient(i, recorder.clientEvents()));
    await Promise.all(clients.map((c) => c.start()));
    const seen = () => JSON.stringify(recorder.errorsByType);
    await waitFor(() => (recorder.errorsByType[kind] ?? 0) >= 2, `${kind} twice (got ${seen()})`, 5000);
    return recorder.errorsByType;
  } finally {
    await session.close();
  }
}

/** Collects what a client sends after its handshake, parsed as client frames. */
function framesFrom(socket: Socket): ClientFrame[] {
  const frames: ClientFrame[] = [];
  let pending = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    const parsed = parseClientFrames(pending);
    const used = parsed.reduce((n, f) => n + 2 + 4 + f.payload.length, 0);
    pending = pending.subarray(used);
    frames.push(...parsed);
  });
  return frames;
}

async function withRawServer(
  behave: (s: Socket, r: UpgradeRequest) => void,
  body: (s: RawWsServer) => Promise<unknown>,
): Promise<void> {
  const server = await startRawWsServer(behave);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

test('the handshake: GET, Upgrade, version 13, a random 16-byte key, the target headers, no compression', () =>
  withRawServer(
    (socket, req) => socket.write(switchingProtocols(req)),
    async (server) => {
      const recorder = newRecorder();
      const headers = { authorization: 'Bearer t0ken', 'x-evil': 'a\r\nx-forged: 1' };
      const target = endpointsFor(server.url, { headers });
      const session = driverFor('websocket').openSession(driverOptions(server.url, 'hs', { target }));
      try {
        await Promise.all([0, 1].map((i) => session.createClient(i, recorder.clientEvents()).start()));
        await waitFor(() => recorder.connectedNow === 2, 'both clients to open');
        const [a, b] = server.requests;
        assert.match(a.text, /^GET \/ws HTTP\/1\.1\r\n/);
        assert.equal(a.headers.host, new URL(server.url).host);
        assert.equal(a.headers.upgrade, 'websocket');
        assert.equal(a.headers.connection, 'Upgrade');
        assert.equal(a.headers['sec-websocket-version'], '13');
        assert.equal(Buffer.from(a.key, 'base64').length, 16);
        assert.notEqual(a.key, b.key, 'a fresh key per connection');
        assert.equal(a.headers.authorization, 'Bearer t0ken');
        assert.equal(a.headers['sec-websocket-extensions'], undefined, 'permessage-deflate is never offered');
        assert.equal(a.headers['x-forged'], undefined, 'a header value cannot split the head');
      } finally {
        await session.close();
      }
    },
  ));

test('an answer with a wrong Sec-WebSocket-Accept is ws-bad-handshake', () =>
  withRawServer(
    (socket, req) => socket.write(switchingProtocols({ ...req, key: 'not the key' })),
    (server) => expectError(server, 'ws-bad-handshake'),
  ));

test('an answer that turns on an extension, or picks a subprotocol nobody offered, is ws-bad-handshake', async () => {
  for (const extra of ['Sec-WebSocket-Extensions: permessage-deflate\r\n', 'Sec-WebSocket-Protocol: chat\r\n']) {
    await withRawServer(
      (socket, req) => socket.write(switchingProtocols(req, extra)),
      (server) => expectError(server, 'ws-bad-handshake'),
    );
  }
});

test('an answer head that never ends is cut at 16 KiB: http-head-too-big', () =>
  withRawServer(
    (socket) => socket.write(`HTTP/1.1 101 Switching Protocols\r\nx-pad: ${'a'.repeat(64 * 1024)}`),
    (server) => expectError(server, 'http-head-too-big'),
  ));

test('frames that come in the same packet as the 101 answer are read', () =>
  withRawServer(
    (socket, req) => socket.write(answerWith(req, serverFrame(0x81, encodeEvent('same', 1, nowMicros(), 64)))),
    async (server) => {
      const recorder = newRecorder();
      const session = driverFor('websocket').openSession(driverOptions(server.url, 'same'));
      try {
        await session.createClient(0, recorder.clientEvents()).start();
        await waitFor(() => recorder.latency.totalCount === 1, 'the event sent with the answer');
      } finally {
        await session.close();
      }
    },
  ));

test('a frame header announcing 100 MB is ws-message-too-big, and the client keeps none of it', () => {
  const payload = Buffer.alloc(1024 * 1024, 0x61);
  const MAX_SENT = 64 * 1024 * 1024;
  return withRawServer(
    (socket, req) => {
      socket.write(switchingProtocols(req));
      socket.write(frameHeader(0x82, 100_000_000));
      // The payload follows as fast as the client takes it, up to 64 MiB: a client that buffered
      // before deciding would grow by that much. The same Buffer is written each time, so the
      // server side of this process allocates nothing per write.
      let sent = 0;
      const pump = (): void => {
        while (sent < MAX_SENT && !socket.destroyed) {
          sent += payload.length;
          if (!socket.write(payload)) return void socket.once('drain', pump);
        }
      };
      pump();
    },
    async (server) => {
      collectGarbage();
      const before = process.memoryUsage();
      const errors = await expectError(server, 'ws-message-too-big');
      collectGarbage();
      const after = process.memoryUsage();
      const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
      assert.ok(grown < 32 * 1024 * 1024, `memory grew ${(grown / 1e6).toFixed(1)} MB`);
      assert.deepEqual(Object.keys(errors), ['ws-message-too-big']);
    },
  );
});

test('a fragmented message that never ends is bounded by a fragment count and limits.wsMaxMessageBytes', async () => {
  // Empty continuation frames forever: the size never grows, the count does.
  const empty = Buffer.concat(Array.from({ length: 2000 }, () => frameHeader(0x00, 0)));
  await withRawServer(
    (socket, req) => socket.write(answerWith(req, serverFrame(0x01, 'start'), empty)),
    (server) => expectError(server, 'ws-too-many-fragments'),
  );
  // 16 KiB fragments against a 64 KiB limit: the fifth one is refused, the message never completes.
  const fragment = serverFrame(0x00, Buffer.alloc(16 * 1024, 0x62));
  await withRawServer(
    (socket, req) => socket.write(answerWith(req, serverFrame(0x01, 'start'), ...Array<Buffer>(8).fill(fragment))),
    (server) => expectError(server, 'ws-message-too-big', { limits: { wsMaxMessageBytes: 64 * 1024 } }),
  );
});

test('a protocol error (masked server frame, reserved bits) is ws-protocol-error, answered by close 1002', async () => {
  for (const bad of [Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0x60]), Buffer.from([0xc1, 0x01, 0x61])]) {
    const sent: ClientFrame[][] = [];
    await withRawServer(
      (socket, req) => {
        sent.push(framesFrom(socket));
        socket.write(answerWith(req, bad));
      },
      async (server) => {
        await expectError(server, 'ws-protocol-error');
        await waitFor(() => sent.some((f) => f.length > 0), 'a close frame from the client');
        const close = sent.find((f) => f.length > 0)![0];
        const seen = { masked: close.masked, opcode: close.opcode, code: close.payload.readUInt16BE(0) };
        assert.deepEqual(seen, { masked: true, opcode: 8, code: 1002 });
      },
    );
  }
});

test('a ping is answered by a masked pong with the same payload; a close is answered and its code reported', () => {
  const sent: ClientFrame[][] = [];
  return withRawServer(
    (socket, req) => {
      sent.push(framesFrom(socket));
      socket.write(answerWith(req, serverFrame(0x89, 'heartbeat 42')));
      const close4000 = serverFrame(0x88, Buffer.concat([Buffer.from([0x0f, 0xa0]), Buffer.from('bye')]));
      setTimeout(() => socket.write(close4000), 50);
    },
    async (server) => {
      await expectError(server, 'ws-close-4000');
      const first = sent[0];
      await waitFor(() => first.length >= 2, 'a pong and a close from the client');
      assert.deepEqual(
        first.slice(0, 2).map((f) => [f.masked, f.opcode, f.payload.toString('latin1')]),
        [
          [true, 0xa, 'heartbeat 42'],
          [true, 0x8, '\x0f\xa0'],
        ],
      );
    },
  );
});

test('a server that floods pings and never reads the pongs does not grow the client send buffer', () => {
  const pings = Buffer.concat(Array.from({ length: 1_000_000 }, () => frameHeader(0x89, 0)));
  return withRawServer(
    (socket, req) => {
      socket.pause(); // never reads: the pongs pile up in the kernel, then at the client
      socket.write(answerWith(req, pings));
    },
    async (server) => {
      let connection: WsConnection | 'bad-url' = 'bad-url';
      const opened = new Promise<void>((resolve) => {
        const owner = { wsOpen: resolve, wsMessage: () => {}, wsEnd: () => {} };
        connection = WsConnection.open(`${server.url}/ws`, owner, { headers: {}, timeoutMs: 2000 });
      });
      await opened;
      const socket = (connection as unknown as WsConnection).socket;
      // Two million bytes of pings (a million frames) take about 8 s to read here, longer on a busy machine.
      await waitFor(() => socket.bytesRead >= pings.length, 'every ping read', 30_000);
      assert.ok(socket.writableLength <= 64 * 1024, `${socket.writableLength} bytes of pongs queued`);
      (connection as unknown as WsConnection).release();
    },
  );
});

test('a close with 1000, 1001 or no code is an ordinary end: no error, the client reconnects', () =>
  withRawServer(
    (socket, req) => socket.write(answerWith(req, serverFrame(0x88, Buffer.from([0x03, 0xe9])))),
    async (server) => {
      const recorder = newRecorder();
      const session = driverFor('websocket').openSession(driverOptions(server.url, 'ok', FAST_RETRY));
      try {
        await session.createClient(0, recorder.clientEvents()).start();
        await waitFor(() => recorder.counters.reconnects >= 2, 'two reconnections');
        assert.deepEqual(recorder.errorsByType, {});
      } finally {
        await session.close();
      }
    },
  ));

test('a token as an Authorization header or a bearer subprotocol gets events from a server requiring it', async () => {
  const server = await startReferenceServer({ port: 0, token: 's3cret' });
  try {
    const offers: Array<Record<string, string>> = [
      { authorization: 'Bearer s3cret' },
      { 'Sec-WebSocket-Protocol': 'bearer.s3cret' },
    ];
    for (const headers of offers) {
      const recorder = newRecorder();
      const target = endpointsFor(server.url, { headers });
      const session = driverFor('websocket').openSession(driverOptions(server.url, 'tok', { target }));
      try {
        await session.createClient(0, recorder.clientEvents()).start();
        await waitFor(() => recorder.connectedNow === 1, `open with ${JSON.stringify(headers)}`);
        const body = encodeEvent('tok', 1, nowMicros(), 128);
        const auth = { authorization: 'Bearer s3cret' };
        const res = await request(`${server.url}/publish`, { method: 'POST', body, headers: auth });
        await res.body.dump();
        await waitFor(() => recorder.latency.totalCount === 1, `the event, with ${JSON.stringify(headers)}`);
        assert.deepEqual(recorder.errorsByType, {});
      } finally {
        await session.close();
      }
    }
  } finally {
    await server.close();
  }
});
