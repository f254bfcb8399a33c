/**
 * Where an idle WebSocket client's memory goes. One process per variant holds N idle WebSocket
 * connections to the bundled reference server (running in a process of its own); the probe reads
 * RSS and V8 heap after a forced full GC before the clients open and after all are open, and
 * divides the difference by N. The bare socket (TCP plus the handshake, nothing kept but a `data`
 * listener) is the floor every variant is compared with.
 *
 *   node --expose-gc dist/bench/ws-memory-probe.js [--n 5000] [--repeat 3] [--variants floor,lean,…]
 *
 * --breakdown adds the heap per connection by object kind (from heap snapshots before and after);
 * its RSS figures then include the snapshots' own memory and are not comparable.
 *
 * Each variant runs in a fresh process, so no variant inherits another's freed memory (glibc
 * keeps freed native memory for reuse, which would hide a variant's cost).
 */
import { fork } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import net from 'node:net';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { startBundledServer } from '../src/load/bundled-server.js';
import { readMemory } from '../src/metrics/memory.js';
import { nowMicros } from '../src/clock.js';
import { ProtocolRecorder } from '../src/metrics/recorder.js';
import { bundledEndpoints } from '../src/protocols/registry.js';
import { ClientSession, ReconnectingClient, type ClientSpec } from '../src/protocols/client-base.js';
import { errorKind, statusKind } from '../src/protocols/errors.js';
import { leadingInteger, scanEventsInBuffer } from '../src/events/marker.js';
import { isUnusablePayload, NON_JSON_PAYLOAD } from '../src/protocols/payload-check.js';
import { websocketDriver } from '../src/protocols/websocket/client.js';
import { closeKind } from '../src/protocols/websocket/connection.js';
import type { ClientEvents, DriverOptions, DriverSession } from '../src/protocols/types.js';

const SELF = fileURLToPath(import.meta.url);
const ID_PREFIX = Buffer.from('{"id":');

/** What each variant leaves open; `close` ends it. */
interface Held {
  close(): Promise<void> | void;
}

/** Opens `n` idle clients of one kind against `url` (http://…); resolves once all are open. */
type Variant = (url: string, n: number) => Promise<Held>;

/** Opens in batches so the server's accept backlog never overflows (a dropped SYN costs a 1 s retry). */
async function inBatches(n: number, open: (i: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < n; i += 250) {
    await Promise.all(Array.from({ length: Math.min(250, n - i) }, (_, k) => open(i + k)));
  }
}

const ignore = (): void => {};

/** The floor: a TCP socket that sent an upgrade request and reads (and drops) what comes. */
const floor: Variant = async (url, n) => {
  const { hostname, port } = new URL(url);
  const request =
    `GET /ws HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
  const sockets: Socket[] = [];
  await inBatches(
    n,
    () =>
      new Promise<void>((resolve, reject) => {
        const s = net.connect(Number(port), hostname);
        s.once('error', reject);
        s.once('data', () => resolve());
        s.on('data', ignore);
        s.write(request);
        sockets.push(s);
      }),
  );
  return { close: () => sockets.forEach((s) => s.destroy()) };
};

/** `ws` with its defaults and one message listener: the package's own cost. */
function wsPackage(options: WebSocket.ClientOptions): Variant {
  return async (url, n) => {
    const all: WebSocket[] = [];
    await inBatches(
      n,
      () =>
        new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(url.replace(/^http/, 'ws') + '/ws', options);
          ws.once('open', () => resolve());
          ws.once('error', reject);
          ws.on('message', ignore);
          all.push(ws);
        }),
    );
    return { close: () => all.forEach((ws) => ws.terminate()) };
  };
}

/**
 * The WebSocket client rtbench had before the lean one (on `ws`), kept here as the reference
 * the lean client is measured against; `tuned` adds every `ws` option that could save memory.
 */
class WsPackageClient extends ReconnectingClient {
  private ws: WebSocket | null = null;
  private cursor = 0;

  constructor(
    spec: ClientSpec,
    private readonly tuned: boolean,
  ) {
    super(spec);
  }

  protected open(): void {
    const { options, shared } = this.spec;
    const url = this.baseUrl().replace(/^http/, 'ws') + this.roomPath(options.target.paths.websocket);
    const tuning = this.tuned ? { skipUTF8Validation: true, maxPayload: 16 * 1024 * 1024, autoPong: true } : {};
    const { headers } = options.target;
    const handshakeTimeout = options.requestTimeoutMs;
    const ws = new WebSocket(url, { perMessageDeflate: false, headers, handshakeTimeout, ...tuning });
    this.ws = ws;
    ws.on('upgrade', (res) => shared.wire.track(res.socket));
    ws.on('unexpected-response', (_req, res) => {
      this.spec.events.error(statusKind(res.statusCode ?? 0));
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => this.up());
    ws.on('message', (data: Buffer) => {
      this.cursor = leadingInteger(data, ID_PREFIX) || this.cursor;
      const found = scanEventsInBuffer(data, shared.prefix, this.onEvent);
      if (!found && isUnusablePayload(data.toString())) this.spec.events.error(NON_JSON_PAYLOAD);
    });
    ws.on('error', (e: NodeJS.ErrnoException) => this.spec.events.error(e.code ? errorKind(e) : 'ws-error'));
    ws.on('close', (code: number) => {
      if (this.ws === ws) this.down(closeKind(code));
    });
  }

  protected teardown(): void {
    const ws = this.ws;
    this.ws = null;
    ws?.terminate();
  }

  private readonly onEvent = (seq: number, t: number): void => {
    this.spec.events.delivered(seq, t);
  };
}

/** Events that count connections and nothing else: the client is measured, not the recorder. */
function countingEvents(): { events: ClientEvents; connected(): number } {
  let connected = 0;
  const events: ClientEvents = {
    attempt: ignore,
    connected: () => void connected++,
    disconnected: () => void connected--,
    delivered: () => true,
    request: ignore,
    reconnect: ignore,
    error: (kind) => console.error(`client error: ${kind}`),
  };
  return { events, connected: () => connected };
}

/** `n` clients of one driver session (the real path); `recorder`: with the run's bookkeeping per client. */
function sessionOf(openSession: (options: DriverOptions) => DriverSession, recorder = false): Variant {
  return async (url, n) => {
    const options: DriverOptions = {
      target: bundledEndpoints(url),
      tag: 'probe',
      pollIntervalMs: 1000,
      requestTimeoutMs: 10_000,
      sourceAddresses: [],
      rooms: 1,
    };
    const session = openSession(options);
    const counting = countingEvents();
    const rec = recorder ? new ProtocolRecorder(nowMicros()) : null;
    await inBatches(n, async (i) => {
      await session.createClient(i, rec ? rec.clientEvents() : counting.events).start();
    });
    const open = () => (rec ? rec.connectedNow : counting.connected());
    if (open() !== n) throw new Error(`only ${open()} of ${n} clients connected`);
    return { close: () => session.close() };
  };
}

const VARIANTS: Record<string, Variant> = {
  floor,
  'ws-bare': wsPackage({}),
  'ws-bare-tuned': wsPackage({ perMessageDeflate: false, skipUTF8Validation: true, maxPayload: 16 * 1024 * 1024 }),
  'ws-today': sessionOf((o) => new ClientSession(o, (spec) => new WsPackageClient(spec, false))),
  'ws-today-tuned': sessionOf((o) => new ClientSession(o, (spec) => new WsPackageClient(spec, true))),
  lean: sessionOf((o) => websocketDriver.openSession(o)),
  'lean+recorder': sessionOf((o) => websocketDriver.openSession(o), true),
};

interface Measured {
  variant: string;
  n: number;
  rssPerConnection: number;
  heapPerConnection: number;
  /** with --breakdown: heap bytes per connection by object kind, largest first */
  breakdown?: Array<[string, number]>;
}

/** Self sizes in a heap snapshot summed by object kind (constructor name, or the V8 node type). */
function heapByKind(): Map<string, number> {
  const file = writeHeapSnapshot(join(tmpdir(), `ws-probe-${process.pid}-${Date.now()}.heapsnapshot`));
  const text = readFileSync(file, 'utf8');
  rmSync(file);
  const snap = JSON.parse(text) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const sums = new Map<string, number>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt]];
    const named = type === 'object' || type === 'closure' || type === 'native' || type === 'array' || type === 'hidden';
    const kind = named ? `${type}:${snap.strings[snap.nodes[i + nameAt]]}` : type;
    sums.set(kind, (sums.get(kind) ?? 0) + snap.nodes[i + sizeAt]);
  }
  return sums;
}

/** Child: one variant, measured after a small warm-up that loads and compiles its code paths. */
async function measure(variant: string, url: string, n: number, breakdown: boolean): Promise<Measured> {
  const open = VARIANTS[variant];
  await (await open(url, 50)).close();
  await new Promise((r) => setTimeout(r, 500));
  readMemory();
  const before = readMemory();
  const kindsBefore = breakdown ? heapByKind() : null;
  const held = await open(url, n);
  await new Promise((r) => setTimeout(r, 1000));
  readMemory();
  const after = readMemory();
  const m: Measured = {
    variant,
    n,
    rssPerConnection: (after.rss - before.rss) / n,
    heapPerConnection: (after.heapUsed - before.heapUsed) / n,
  };
  if (kindsBefore) {
    // Taken after the readings: a snapshot allocates a lot itself.
    const diff = [...heapByKind()].map(([k, v]): [string, number] => [k, (v - (kindsBefore.get(k) ?? 0)) / n]);
    m.breakdown = diff
      .filter(([, v]) => v >= 8)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25);
  }
  await held.close();
  return m;
}

function runChild(variant: string, url: string, n: number, execArgv: string[], breakdown: boolean): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const args = ['--child', variant, url, String(n), breakdown ? 'breakdown' : ''];
    const child = fork(SELF, args, { execArgv: ['--expose-gc', ...execArgv] });
    child.once('message', (m: Measured | { error: string }) => {
      if ('error' in m) reject(new Error(m.error));
      else resolve(m);
    });
    child.once('exit', (code) => code !== 0 && reject(new Error(`${variant}: probe exited with ${code}`)));
  });
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KB`;

async function main(): Promise<void> {
  const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(name);
    return i === -1 ? fallback : process.argv[i + 1];
  };
  const n = Number(arg('--n', '5000'));
  const variants = arg('--variants', Object.keys(VARIANTS).join(',')).split(',');
  const repeat = Number(arg('--repeat', '1'));
  const execArgv = arg('--node-flags', '').split(' ').filter(Boolean);
  const server = await startBundledServer({ port: 0, maxConnections: 4 * n + 1000 });
  try {
    const rows: Measured[] = [];
    const breakdown = process.argv.includes('--breakdown');
    for (let r = 0; r < repeat; r++) {
      for (const v of variants) rows.push(await runChild(v, server.url, n, execArgv, breakdown));
    }
    const mean = (v: string, f: (m: Measured) => number) => {
      const of = rows.filter((m) => m.variant === v);
      return of.length ? of.reduce((s, m) => s + f(m), 0) / of.length : NaN;
    };
    const span = (v: string, f: (m: Measured) => number) => {
      const xs = rows.filter((m) => m.variant === v).map(f);
      return xs.length > 1 ? ` (${kb(Math.min(...xs))}–${kb(Math.max(...xs))})` : '';
    };
    const rss = (m: Measured) => m.rssPerConnection;
    const heap = (m: Measured) => m.heapPerConnection;
    const floorRss = mean('floor', rss);
    const floorHeap = mean('floor', heap);
    console.log(`N = ${n} idle connections, one process per variant, ${repeat} run(s) each (mean, range):`);
    console.log('| variant | RSS | heap | RSS ÷ floor | heap ÷ floor |');
    console.log('|---|---:|---:|---:|---:|');
    for (const v of variants) {
      const ratio = (x: number, f: number) => (Number.isNaN(f) ? '–' : (x / f).toFixed(2));
      const r = mean(v, rss);
      const h = mean(v, heap);
      const cells = [v, kb(r) + span(v, rss), kb(h) + span(v, heap), ratio(r, floorRss), ratio(h, floorHeap)];
      console.log(`| ${cells.join(' | ')} |`);
    }
    for (const m of rows.filter((r) => r.breakdown)) {
      console.log(`\n${m.variant}: heap per connection by object kind`);
      for (const [k, v] of m.breakdown!) console.log(`  ${v.toFixed(0).padStart(6)} B  ${k}`);
    }
  } finally {
    await server.close();
  }
}

if (process.argv[2] === '--child') {
  const [, , , variant, url, n, breakdown] = process.argv;
  measure(variant, url, Number(n), breakdown === 'breakdown').then(
    (m) => process.send!(m, () => process.exit(0)),
    (e: Error) => process.send!({ error: `${variant}: ${e.message}` }, () => process.exit(1)),
  );
} else {
  await main();
}
