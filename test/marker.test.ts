import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeEvent, scanEvents } from '../src/events/marker.js';

function scan(text: string, tag: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  scanEvents(text, tag, (s, t) => out.push([s, t]));
  return out;
}

test('an event body has the requested size and carries seq and intended time', () => {
  const body = encodeEvent('abc', 42, 1_700_000_000_123_456, 256);
  assert.equal(body.length, 256);
  assert.deepEqual(JSON.parse(body).m, '~rtb:abc:42:1700000000123456~');
  assert.deepEqual(scan(body, 'abc'), [[42, 1_700_000_000_123_456]]);
});

test('markers are found inside any envelope: JSON field, escaped JSON string, SSE data, batches', () => {
  const e1 = encodeEvent('t1', 1, 1000, 100);
  const e2 = encodeEvent('t1', 2, 2000, 100);
  assert.deepEqual(scan(`{"id":7,"data":${e1}}`, 't1'), [[1, 1000]]);
  assert.deepEqual(scan(JSON.stringify({ text: e1 }), 't1'), [[1, 1000]]);
  assert.deepEqual(scan(`id: 3\ndata: ${e1}\n\n`, 't1'), [[1, 1000]]);
  assert.deepEqual(scan(`{"cursor":9,"events":[${e1},${e2}]}`, 't1'), [
    [1, 1000],
    [2, 2000],
  ]);
});

test('markers of another run and truncated markers are ignored', () => {
  assert.deepEqual(scan(encodeEvent('old', 5, 1, 80), 'new'), []);
  assert.deepEqual(scan('~rtb:t:12:34', 't'), []);
  assert.deepEqual(scan('~rtb:t:x:34~', 't'), []);
});
