import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../src/errors.js';
import { phasesOf, runBenchmark } from '../src/load/runner.js';
import { parseProtocols } from '../src/protocols/registry.js';
import { leadingId } from '../src/protocols/socketio/client.js';
import { bearerToken, splitPath } from '../src/protocols/socketio/handshake.js';
import { parseEventName, parseSocketIoTransports } from '../src/scenario/option-parsers.js';
import { buildPlan } from '../src/scenario/options.js';

const usage = (f: () => unknown, message: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof UsageError && message.test(e.message) && !!e.hint);

test('all is the four ways; Socket.IO is opt-in by name, alias or all,socketio', () => {
  assert.deepEqual(parseProtocols('all'), ['polling', 'long-polling', 'sse', 'websocket']);
  assert.deepEqual(parseProtocols('socketio'), ['socketio']);
  assert.deepEqual(parseProtocols('socket.io,sse'), ['sse', 'socketio']);
  assert.deepEqual(parseProtocols('all,socketio'), ['polling', 'long-polling', 'sse', 'websocket', 'socketio']);
  usage(() => parseProtocols('socketoi'), /unknown protocol "socketoi"/);
});

test('--socketio-transports takes websocket and upgrade, in canonical order, and refuses anything else', () => {
  assert.deepEqual(parseSocketIoTransports('websocket,upgrade'), ['websocket', 'upgrade']);
  assert.deepEqual(parseSocketIoTransports('UPGRADE'), ['upgrade']);
  assert.deepEqual(parseSocketIoTransports(['upgrade', 'websocket']), ['websocket', 'upgrade']);
  usage(() => parseSocketIoTransports('polling'), /unknown Socket\.IO transport "polling"/);
  usage(() => parseSocketIoTransports(''), /no Socket\.IO transport/);
  usage(() => buildPlan({ socketioTransports: 'ws' }), /unknown Socket\.IO transport "ws"/);
});

test('--slow-consumers with Socket.IO is refused up front: its clients cannot stop reading', () => {
  usage(() => buildPlan({ protocols: 'sse,socketio', slowConsumers: '10%' }), /not supported with socketio/);
  assert.equal(buildPlan({ protocols: 'sse', slowConsumers: '10%' }).stress.slowFraction, 0.1);
});

test('--socketio-event takes a plain name and refuses reserved or odd ones', () => {
  assert.equal(parseEventName('news:update'), 'news:update');
  usage(() => parseEventName('connect'), /not usable/);
  usage(() => parseEventName(''), /not usable/);
  usage(() => parseEventName('a b'), /not usable/);
  usage(() => parseEventName('x'.repeat(65)), /not usable/);
  usage(() => buildPlan({ protocols: 'socketio', socketioEvent: 'news' }), /the bundled server emits "event"/);
  assert.equal(buildPlan({ target: 'http://127.0.0.1:1', socketioEvent: 'news' }).socketioEvent, 'news');
});

test('each Socket.IO transport is a phase labelled with it; other protocols run once', () => {
  const labels = (o: Record<string, unknown>) =>
    phasesOf(buildPlan(o)).map((p) => [p.protocol, p.variant, p.transport, p.tls]);
  assert.deepEqual(labels({ protocols: 'sse,socketio' }), [
    ['sse', null, null, false],
    ['socketio', 'websocket', 'websocket', false],
    ['socketio', 'upgrade', 'upgrade', false],
  ]);
  assert.deepEqual(labels({ protocols: 'socketio', socketioTransports: 'upgrade', tls: 'off,on' }), [
    ['socketio', 'upgrade', 'upgrade', false],
    ['socketio', 'upgrade · tls', 'upgrade', true],
  ]);
  assert.deepEqual(
    labels({ protocols: 'socketio', socketioTransports: 'websocket', backpressure: 'buffer,disconnect' }),
    // Socket.IO queues in its own way: the server's policies do not apply, so it runs once.
    [['socketio', 'websocket', 'websocket', false]],
  );
});

test('a Socket.IO client reads the room from the path query, the token from the headers, the id from a packet', () => {
  assert.deepEqual(splitPath('/socket.io'), { path: '/socket.io', query: [] });
  assert.deepEqual(splitPath('/socket.io?room={room}&x=1'), {
    path: '/socket.io',
    query: [
      ['room', '{room}'],
      ['x', '1'],
    ],
  });
  assert.equal(bearerToken({ authorization: 'Bearer abc' }), 'abc');
  assert.equal(bearerToken({ Authorization: 'bearer  xyz ' }), 'xyz');
  assert.equal(bearerToken({ 'x-other': '1' }), undefined);
  const packet = '2["event",{"id":42,"data":{"m":"~rtb:t:1:2~"}}]';
  assert.equal(leadingId(packet, '2["event",'.length), 42);
  assert.equal(leadingId('2["event","plain"]', '2["event",'.length), 0);
});

test("Socket.IO's polling upgrade with several bundled server processes is refused before the run starts", async () => {
  await assert.rejects(
    runBenchmark(buildPlan({ protocols: 'socketio', serverProcesses: 2, clients: 2 })),
    (e: unknown) =>
      e instanceof UsageError &&
      /socketio over upgrade needs the bundled server as one process/.test(e.message) &&
      /--socketio-transports websocket/.test(e.hint ?? ''),
  );
});
