import { test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { WireCounter } from '../src/protocols/wire.js';
import { waitFor } from './helpers.js';

test('resetAll closes every open socket, also one already shutting down (which cannot be reset)', async () => {
  const server = net.createServer((s) => s.on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const counter = new WireCounter();
    const connect = () =>
      new Promise<net.Socket>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => resolve(s));
        s.on('error', () => {});
        counter.track(s);
      });
    const open = await connect();
    const ending = await connect();
    ending.end(); // our FIN is sent; the server never answers with its own
    counter.resetAll();
    await waitFor(() => open.closed && ending.closed, 'both sockets to close', 2000);
    assert.ok(open.closed && ending.closed);
  } finally {
    server.close();
  }
});
