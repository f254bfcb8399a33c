/**
 * Memory per SSE connection: the lean client, the eventsource + undici client it replaced, and
 * the floor (a bare net.Socket holding the same stream and discarding its bytes). Each kind runs
 * in a child process of its own, so none inherits another's freed-but-kept memory; the reference
 * server runs in one more process. In a child: warm up (load the code, run it once), read memory
 * after a full GC, open N streams, let two events reach every one, read memory again after a full
 * GC; the difference over N is the cost of one connection. The clients are idle when read: that
 * is what thousands of held SSE streams are, most of the time.
 *
 *   node dist/bench/sse-memory-probe.js [N=5000] [kinds=floor,lean,eventsource] [rounds=3]
 *
 * Also measures the per-stream objects the lean client chose between (a TextDecoder or a
 * StringDecoder for UTF-8, an eventsource-parser, a timer), 50,000 of each, the same way.
 */
import { fork } from 'node:child_process';
import net, { type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { createParser } from 'eventsource-parser';
import { request } from 'undici';
import { nowMicros } from '../src/clock.js';
import { encodeEvent } from '../src/events/marker.js';
import { startBundledServer } from '../src/load/bundled-server.js';
import { readMemory } from '../src/metrics/memory.js';
import { ClientSession } from '../src/protocols/client-base.js';
import { sseDriver } from '../src/protocols/sse/client.js';
import { openEventSourceSession } from './variants/eventsource-sse.js';
import type { ClientEvents, DriverOptions, ProtocolClient } from '../src/protocols/types.js';

const SELF = fileURLToPath(import.meta.url);
const KINDS = ['floor', 'lean', 'eventsource'] as const;
type Kind = (typeof KINDS)[number];
const TAG = 'mem';

interface ChildResult {
  kind: Kind;
  n: number;
  connected: number;
  delivered: number;
  rssPerConnection: number;
  heapPerConnection: number;
}

/** One events object for every client: the recorder's own per-client state is not the client's cost. */
function countingEvents() {
  const counts = { connected: 0, delivered: 0, errors: {} as Record<string, number> };
  const events: ClientEvents = {
    attempt() {},
    connected: () => void counts.connected++,
    disconnected() {},
    delivered: () => (counts.delivered++, true),
    request() {},
    reconnect() {},
    error: (kind) => void (counts.errors[kind] = (counts.errors[kind] ?? 0) + 1),
  };
  return { counts, events };
}

async function until(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The floor: a bare socket that sends the same GET and throws away what arrives. */
function discard(): void {}
function bareStream(port: number, counts: { connected: number }): Socket {
  const s = net.connect({ host: '127.0.0.1', port, noDelay: true });
  s.on('error', discard);
  s.once('data', () => counts.connected++);
  s.on('data', discard);
  s.write('GET /sse HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\n\r\n');
  return s;
}

async function publish(url: string, seq: number): Promise<void> {
  const res = await request(`${url}/publish`, { method: 'POST', body: encodeEvent(TAG, seq, nowMicros(), 128) });
  await res.body.dump();
}

async function child(kind: Kind, url: string, n: number): Promise<ChildResult> {
  const port = Number(new URL(url).port);
  const options: DriverOptions = {
    target: { baseUrl: url, paths: { sse: '/sse' }, cursor: 'query', cursorParam: 'since', headers: {} },
    tag: TAG,
    pollIntervalMs: 1000,
    requestTimeoutMs: 30_000,
    sourceAddresses: [],
    rooms: 1,
  };
  const open = async (count: number) => {
    const { counts, events } = countingEvents();
    if (kind === 'floor') {
      const sockets = Array.from({ length: count }, () => bareStream(port, counts));
      await until(() => counts.connected === count, `${count} bare streams`, 60_000);
      return { counts, close: async () => sockets.forEach((s) => s.destroy()) };
    }
    const session: ClientSession =
      kind === 'lean' ? (sseDriver.openSession(options) as ClientSession) : openEventSourceSession(options);
    const clients: ProtocolClient[] = [];
    // In batches: thousands of connects at once overflow the server's accept backlog.
    for (let i = 0; i < count; i += 500) {
      const batch = Array.from({ length: Math.min(500, count - i) }, (_, j) => session.createClient(i + j, events));
      clients.push(...batch);
      await Promise.all(batch.map((c) => c.start()));
    }
    await until(() => counts.connected === count, `${count} ${kind} clients`, 60_000);
    return { counts, close: () => session.close() };
  };
  // Warm-up: modules loaded, code compiled, pools and caches grown once.
  const warm = await open(100);
  await warm.close();
  await new Promise((r) => setTimeout(r, 500));
  const before = readMemory();
  const held = await open(n);
  // Two events through every stream, so each client parsed something before it idles.
  let delivered = 0;
  for (let seq = 1; seq <= 2; seq++) await publish(url, seq);
  if (kind !== 'floor') await until(() => held.counts.delivered >= 2 * n, `${2 * n} deliveries`, 60_000);
  else await new Promise((r) => setTimeout(r, 1000));
  delivered = held.counts.delivered;
  await new Promise((r) => setTimeout(r, 500));
  const after = readMemory();
  const result: ChildResult = {
    kind,
    n,
    connected: held.counts.connected,
    delivered,
    rssPerConnection: (after.rss - before.rss) / n,
    heapPerConnection: (after.heapUsed - before.heapUsed) / n,
  };
  await held.close();
  return result;
}

/** The per-stream objects the lean client could have held, 50,000 of each, measured the same way. */
function objectCosts(): Array<{ object: string; rss: number; heap: number }> {
  const N = 50_000;
  const make: Record<string, () => unknown> = {
    'empty object (baseline)': () => ({}),
    'TextDecoder, mid-character': () => {
      const d = new TextDecoder();
      d.decode(Buffer.from([0x68, 0xc3]), { stream: true });
      return d;
    },
    'StringDecoder, mid-character': () => {
      const d = new StringDecoder('utf8');
      d.write(Buffer.from([0x68, 0xc3]));
      return d;
    },
    'eventsource-parser with two callbacks': () => {
      const o = { e: null as unknown };
      return createParser({ onEvent: (e) => (o.e = e), onError: (e) => (o.e = e), maxBufferSize: 1 << 20 });
    },
    'setTimeout timer': () => setTimeout(discard, 3_600_000),
  };
  const out = [];
  for (const [object, fn] of Object.entries(make)) {
    const keep: unknown[] = new Array(N);
    const before = readMemory();
    for (let i = 0; i < N; i++) keep[i] = fn();
    const after = readMemory();
    out.push({ object, rss: (after.rss - before.rss) / N, heap: (after.heapUsed - before.heapUsed) / N });
    for (const k of keep) if (k && typeof k === 'object' && 'unref' in k) clearTimeout(k as NodeJS.Timeout);
  }
  return out;
}

function runChild(kind: Kind, url: string, n: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = fork(SELF, ['--child', kind, url, String(n)], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    p.once('message', (m) => resolve(m as ChildResult));
    p.once('exit', (code) => code !== 0 && reject(new Error(`${kind} probe exited with ${code}`)));
  });
}

const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 5000);
  const kinds = (process.argv[3] ?? KINDS.join(',')).split(',') as Kind[];
  // RSS after a GC moves by a few KB per connection from run to run (heap pages kept or given
  // back): each kind runs several times, in turn with the others, and the median is reported.
  const rounds = Number(process.argv[4] ?? 3);
  const server = await startBundledServer({ port: 0, host: '127.0.0.1', ringSize: 100 });
  const runs = new Map<Kind, ChildResult[]>(kinds.map((k) => [k, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const kind of kinds) {
        const r = await runChild(kind, server.url, n);
        runs.get(kind)!.push(r);
        const held = `N=${r.n} connected=${r.connected} delivered=${r.delivered}`;
        console.log(`  ${kind.padEnd(12)} ${held}  RSS ${kb(r.rssPerConnection)}  heap ${kb(r.heapPerConnection)}`);
      }
    }
  } finally {
    await server.close();
  }
  console.log(`\nper connection, median of ${rounds} runs of N=${n} (range):`);
  const summary = new Map<Kind, { rss: number; heap: number }>();
  for (const [kind, rs] of runs) {
    const rss = rs.map((r) => r.rssPerConnection);
    const heap = rs.map((r) => r.heapPerConnection);
    summary.set(kind, { rss: median(rss), heap: median(heap) });
    const range = (xs: number[]) => `${kb(Math.min(...xs))}–${kb(Math.max(...xs))}`;
    const rssText = `RSS ${kb(median(rss))} (${range(rss)})`;
    console.log(`  ${kind.padEnd(12)} ${rssText}  heap ${kb(median(heap))} (${range(heap)})`);
  }
  const floor = summary.get('floor');
  if (floor) {
    for (const [kind, m] of summary) {
      if (kind === 'floor') continue;
      const ratio = (a: number, b: number) => `×${(a / b).toFixed(2)}`;
      console.log(`  ${kind} ÷ floor: RSS ${ratio(m.rss, floor.rss)}, heap ${ratio(m.heap, floor.heap)}`);
    }
  }
  console.log('\nper object, 50,000 held:');
  for (const c of objectCosts()) {
    console.log(`  ${c.object.padEnd(40)} RSS ${c.rss.toFixed(0)} B  heap ${c.heap.toFixed(0)} B`);
  }
}

if (process.argv[2] === '--child') {
  const [, kind, url, n] = process.argv.slice(2);
  child(kind as Kind, url, Number(n)).then(
    (r) => {
      process.send!(r);
      process.exit(0);
    },
    (e: Error) => {
      console.error(e.message);
      process.exit(1);
    },
  );
} else {
  await main();
}
