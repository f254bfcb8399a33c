import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { closeKind, WsConnection } from '../src/protocols/websocket/connection.js';
import { selfSignedCertificate } from '../src/server/tls.js';
import { waitFor } from './helpers.js';

/** A message as both clients must report it: kind, size, and a digest of the bytes. */
type Message = [binary: boolean, bytes: number, sha1: string];
/** What one client saw of the whole script. */
interface Transcript {
  messages: Message[];
  /** how the connection ended, as the results name it (null: an ordinary end) */
  end: string | null | undefined;
}

const sha1 = (data: Buffer) => createHash('sha1').update(data).digest('hex');
const digest = (data: Buffer, binary: boolean): Message => [binary, data.length, sha1(data)];
const text = (n: number) => 'é-rtbench-'.repeat(Math.ceil(n / 11)).slice(0, n); // multi-byte UTF-8 in text messages
const binary = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff));
const SIZES = [0, 1, 125, 126, 65535, 65536, 1024 * 1024];

/**
 * What the server sends every client, through `ws`'s own sender: text and binary messages around
 * the length-encoding edges, fragmented messages with a ping in between, pings, then close 4000.
 */
function script(ws: WebSocket): void {
  for (const n of SIZES) {
    ws.send(text(n));
    ws.send(binary(n), { binary: true });
  }
  ws.send('first part, ', { fin: false });
  ws.ping('between fragments');
  ws.send('second part, ', { fin: false });
  ws.send('last part', { fin: true });
  ws.send(binary(70_000), { binary: true, fin: false });
  ws.send(binary(10), { binary: true, fin: true });
  ws.ping('');
  ws.ping('x'.repeat(125));
  ws.close(4000, 'the end of the script');
}

/** The `ws` client: the reference. */
function wsClient(url: string): Promise<Transcript> {
  return new Promise((resolve) => {
    const t: Transcript = { messages: [], end: undefined };
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('message', (data: Buffer, isBinary: boolean) => t.messages.push(digest(data, isBinary)));
    ws.on('close', (code: number) => resolve({ ...t, end: closeKind(code) }));
  });
}

/** The lean connection the WebSocket driver uses. */
function leanClient(url: string, ca?: string): Promise<Transcript> {
  return new Promise((resolve, reject) => {
    const t: Transcript = { messages: [], end: undefined };
    const opened = WsConnection.open(
      url,
      {
        wsOpen: () => {},
        // The data may be a view of a shared read buffer: digested now, not kept.
        wsMessage: (data, isBinary) => void t.messages.push(digest(data, isBinary)),
        wsEnd: (kind) => resolve({ ...t, end: kind }),
      },
      { headers: {}, timeoutMs: 5000, ...(ca ? { ca } : {}) },
    );
    if (opened === 'bad-url') reject(new Error(opened));
  });
}

/** A `ws` server that plays the script to each client and writes down what each offered and sent back. */
function scriptedServer(wss: WebSocketServer) {
  const pongs = new Map<string, string[]>();
  const closes = new Map<string, number>();
  const extensions = new Map<string, string | undefined>();
  wss.on('connection', (ws, req) => {
    const who = req.url ?? '';
    extensions.set(who, req.headers['sec-websocket-extensions']);
    pongs.set(who, []);
    ws.on('pong', (data: Buffer) => pongs.get(who)!.push(data.toString()));
    ws.on('close', (code: number) => closes.set(who, code));
    script(ws);
  });
  return { pongs, closes, extensions };
}

test('the lean client reads what a ws server sends as the ws client does: messages, pongs, close code', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const { pongs, closes, extensions } = scriptedServer(wss);
  const base = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  try {
    const [reference, lean] = await Promise.all([wsClient(`${base}/ws`), leanClient(`${base}/lean`)]);
    assert.equal(reference.messages.length, 2 * SIZES.length + 2);
    assert.deepEqual(lean.messages, reference.messages);
    assert.equal(reference.end, 'ws-close-4000');
    assert.equal(lean.end, reference.end);
    await waitFor(() => closes.size === 2, 'both close frames at the server');
    assert.deepEqual(pongs.get('/lean'), pongs.get('/ws'), 'every ping answered with its payload');
    assert.equal(pongs.get('/ws')!.length, 3);
    assert.equal(closes.get('/lean'), closes.get('/ws'), 'the close answered with the same code');
    assert.equal(extensions.get('/lean'), undefined, 'the lean client offers no compression');
  } finally {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  }
});

// Made in memory as `rtbench run --tls` makes its own: no openssl needed.
const tlsMaterial = selfSignedCertificate();

test('over TLS (wss://) the lean client reads the same script', async () => {
  const server = https.createServer(tlsMaterial);
  const wss = new WebSocketServer({ server });
  const { closes } = scriptedServer(wss);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `wss://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const reference = await new Promise<Transcript>((resolve) => {
      const t: Transcript = { messages: [], end: undefined };
      const ws = new WebSocket(`${base}/ws`, { ca: tlsMaterial.cert, perMessageDeflate: false });
      ws.on('message', (data: Buffer, isBinary: boolean) => t.messages.push(digest(data, isBinary)));
      ws.on('close', (code: number) => resolve({ ...t, end: closeKind(code) }));
    });
    const lean = await leanClient(`${base}/lean`, tlsMaterial.cert);
    assert.deepEqual(lean.messages, reference.messages);
    assert.equal(lean.end, 'ws-close-4000');
    await waitFor(() => closes.size === 2, 'both close frames at the server');
    // Without the certificate trusted, the handshake never happens: the TLS error is the kind.
    const untrusted = await leanClient(`${base}/lean`);
    assert.equal(untrusted.end, 'depth_zero_self_signed_cert');
  } finally {
    for (const c of wss.clients) c.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
