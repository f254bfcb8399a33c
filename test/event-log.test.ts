import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventLog } from '../src/server-core/event-log.js';
import { startReferenceServer } from '../src/server/server.js';

const big = (chars: number) => JSON.stringify('x'.repeat(chars - 2));

test('the ring holds at most its bytes: the oldest events go first, the newest always stays', () => {
  const log = new EventLog(10_000, 1024 * 1024);
  for (let i = 0; i < 100; i++) log.append(big(100_000));
  // each event: 200 KB as a JS string + two framings of ~100 KB
  assert.ok(log.bytes <= 1024 * 1024, `${log.bytes} bytes held`);
  assert.ok(log.size >= 2 && log.size <= 3, `${log.size} events held`);
  assert.equal(log.lastId, 100);
  assert.equal(log.oldestId, 100 - log.size + 1);
  assert.deepEqual(
    log.after(0).map((e) => e.id),
    Array.from({ length: log.size }, (_, i) => log.oldestId + i),
  );
  log.append(big(5_000_000));
  assert.equal(log.size, 1, 'one event over the bound alone still stays');
  assert.equal(log.after(0)[0].id, 101);
});

test('the ring by count still evicts by count, and its byte tally follows what it holds', () => {
  const log = new EventLog(5, 1024 * 1024);
  for (let i = 0; i < 12; i++) log.append('{"a":1}');
  assert.equal(log.size, 5);
  assert.equal(log.oldestId, 8);
  // ids 8–12: their framings differ in the digits of the id
  const held = log.after(0).reduce((n, e) => n + e.json.length * 2 + e.sseChunk.length + e.wsFrame.length, 0);
  assert.equal(log.bytes, held);
});

test(
  'a poll answer is a page of at most its JSON characters (always one event); the cursor pages through the ' + 'rest',
  async () => {
    const server = await startReferenceServer({ port: 0, maxAnswerChars: 2_500 });
    try {
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${server.url}/publish`, { method: 'POST', body: big(1000) });
        assert.equal(res.status, 202);
      }
      let cursor = 0;
      const pages: number[] = [];
      for (let i = 0; i < 10 && cursor < 5; i++) {
        const body = (await (await fetch(`${server.url}/poll?since=${cursor}`)).json()) as {
          cursor: number;
          events: unknown[];
        };
        pages.push(body.events.length);
        cursor = body.cursor;
      }
      assert.deepEqual(pages, [2, 2, 1]);
    } finally {
      await server.close();
    }
  },
);
