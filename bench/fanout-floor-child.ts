/**
 * The two sides of the fan-out floor (bench/fanout-floor.ts), each a child process it forks:
 *
 *   fanout-floor-child.js server
 *   fanout-floor-child.js client <port> <sockets> <messageBytes> <sampleEvery>
 *
 * Nothing here but node:net, so what they cost per delivery is what bare sockets cost on this machine.
 * They talk to the parent over IPC only and exit when it goes away.
 */
import { createServer, connect, type Socket } from 'node:net';

/** Monotonic µs: CLOCK_MONOTONIC is one clock for every process on the machine. */
const nowUs = () => Number(process.hrtime.bigint()) / 1000;
const send = (m: object) => process.send?.(m);
// An orphaned child would go on holding thousands of sockets.
process.on('disconnect', () => process.exit(0));

const [role, ...args] = process.argv.slice(2);
if (role === 'server') server();
else if (role === 'client') client(Number(args[0]), Number(args[1]), Number(args[2]), Number(args[3]));
else {
  process.stderr.write('usage: fanout-floor-child server | client <port> <sockets> <messageBytes> <sampleEvery>\n');
  process.exit(2);
}

function server(): void {
  const sockets = new Set<Socket>();
  const srv = createServer((s) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  srv.listen({ host: '127.0.0.1', port: 0, backlog: 65535 }, () => {
    const a = srv.address();
    send({ port: typeof a === 'object' && a ? a.port : 0 });
  });
  let cpu0: NodeJS.CpuUsage | null = null;
  type Start = { rate: number; holdS: number; messageBytes: number };
  type Message = { count?: true; start?: Start; report?: true; stop?: true };
  process.on('message', (m: Message) => {
    if (m.count) send({ sockets: sockets.size });
    if (m.start) {
      cpu0 = process.cpuUsage();
      publish(sockets, m.start.rate, m.start.holdS, m.start.messageBytes);
    }
    if (m.report) send({ cpu: process.cpuUsage(cpu0 ?? undefined) });
    // After the clients' resets (sent at the same time) have landed, so the server closes nothing itself.
    if (m.stop) setTimeout(() => process.exit(0), 300);
  });
}

/**
 * Event k is due at start + k / rate, for the hold's seconds; one write loop over every socket per
 * event, as a fan-out server does. A loop that overruns starts the next event right away, late, and
 * events not begun by the end of the hold are not sent: the figure is what really went out. Each
 * event is a fresh Buffer (one per event, not per socket) carrying its due time: a queued write
 * keeps a reference to it, so it must not change afterwards.
 */
function publish(sockets: Set<Socket>, rate: number, holdS: number, messageBytes: number): void {
  const intervalUs = 1e6 / rate;
  const intended = Math.round(rate * holdS);
  const startUs = nowUs();
  const endUs = startUs + holdS * 1e6;
  const held = sockets.size;
  let sent = 0;
  let late = 0;
  let loopUs = 0;
  let loopMaxUs = 0;
  const next = () => {
    const dueUs = startUs + sent * intervalUs;
    const beganUs = nowUs();
    if (sent > 0 && beganUs > dueUs + intervalUs) late++;
    const message = Buffer.alloc(messageBytes, 97);
    message.writeDoubleLE(dueUs, 0);
    for (const s of sockets) s.write(message);
    sent++;
    const tookUs = nowUs() - beganUs;
    loopUs += tookUs;
    loopMaxUs = Math.max(loopMaxUs, tookUs);
    const nextDueUs = startUs + sent * intervalUs;
    if (sent >= intended || nowUs() >= endUs) {
      const loop = { meanMs: loopUs / sent / 1000, maxMs: loopMaxUs / 1000 };
      send({ done: { startUs, sent, intended, late, loop, sockets: held, lastSentUs: nowUs() } });
      return;
    }
    // setTimeout, not a tight loop, even when late: IPC and the kernel's ACKs get their turn.
    setTimeout(next, Math.max(0, (nextDueUs - nowUs()) / 1000));
  };
  next();
}

function client(port: number, count: number, messageBytes: number, sampleEvery: number): void {
  // One buffer for every socket's reads: the floor keeps nothing per socket beyond the socket.
  const shared = Buffer.alloc(64 * 1024);
  const maxSamples = 200_000;
  const samples: number[] = [];
  let bytes = 0;
  let connected = 0;
  let failed = 0;
  const count1 = (n: number) => {
    bytes += n;
    return true;
  };
  // A few sockets also read each event's due time (at the start of each message) for latency;
  // the rest only count bytes. A due time split across two reads is skipped.
  const sampling = () => {
    let got = 0;
    return (n: number, b: Uint8Array) => {
      bytes += n;
      const at = nowUs();
      const buf = b as Buffer;
      for (let p = Math.ceil(got / messageBytes) * messageBytes; p + 8 <= got + n; p += messageBytes) {
        if (samples.length < maxSamples) samples.push(at - buf.readDoubleLE(p - got));
      }
      got += n;
      return true;
    };
  };
  const sockets: Socket[] = [];
  const reportConnected = () => {
    if (connected + failed === count) send({ connected: { sockets: connected, failed } });
  };
  for (let i = 0; i < count; i++) {
    const callback = i % sampleEvery === 0 ? sampling() : count1;
    const s = connect({ host: '127.0.0.1', port, onread: { buffer: shared, callback } });
    sockets.push(s);
    let up = false;
    s.once('connect', () => {
      up = true;
      connected++;
      reportConnected();
    });
    // Only a failed connect counts here; a socket that fails later shows as lost deliveries.
    s.on('error', () => {
      if (up) return;
      failed++;
      reportConnected();
    });
  }

  let cpu0: NodeJS.CpuUsage | null = null;
  let lastBytes = 0;
  let lastChangeUs = 0;
  let ticker: NodeJS.Timeout | null = null;
  process.on('message', (m: { mark?: true; expect?: { bytes: number; graceMs: number }; stop?: true }) => {
    if (m.mark) {
      cpu0 = process.cpuUsage();
      // When the last byte arrived, to 5 ms: a clock reading per read would cost the floor itself.
      ticker = setInterval(() => {
        if (bytes !== lastBytes) {
          lastBytes = bytes;
          lastChangeUs = nowUs();
        }
      }, 5);
      send({ marked: true });
    }
    if (m.expect) {
      const { bytes: want, graceMs } = m.expect;
      const giveUpUs = nowUs() + graceMs * 1000;
      const check = setInterval(() => {
        if (bytes < want && nowUs() < giveUpUs) return;
        clearInterval(check);
        if (ticker) clearInterval(ticker);
        if (bytes !== lastBytes) lastChangeUs = nowUs();
        send({ report: { bytes, lastByteUs: lastChangeUs, cpu: process.cpuUsage(cpu0 ?? undefined), samples } });
      }, 5);
    }
    if (m.stop) {
      // Resets, not FINs: no TIME_WAIT left behind for the bench's next sections.
      for (const s of sockets) s.resetAndDestroy();
      setTimeout(() => process.exit(0), 100);
    }
  });
}
