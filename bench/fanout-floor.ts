/**
 * The fan-out floor: what bare sockets deliver on this machine at the fan-out run's size, measured
 * in the same bench run, so rtbench's fan-out reads as a multiple of what the machine itself allows.
 *
 * A node:net server process writes one prebuilt Buffer (the size of rtbench's delivered message)
 * to every socket `rate` times a second; client processes (as many as rtbench's workers) hold the
 * sockets, read them with `onread` into one shared buffer and only count bytes. Every delivery is
 * one TCP segment over loopback: a write on the server, a read and an ACK on the client. Neither
 * side parses, frames or allocates per delivery, so their CPU per delivery is the kernel's and
 * Node's socket cost, below any protocol.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface FanoutFloor {
  /** sockets asked for */
  clients: number;
  /** sockets the server held when the first event went out */
  connected: number;
  /** client processes */
  processes: number;
  messageBytes: number;
  rate: number;
  holdS: number;
  /** events due in the hold (rate × holdS), and those the server's write loop really began */
  eventsIntended: number;
  eventsSent: number;
  /** events begun more than one interval after they were due */
  eventsLate: number;
  /** one event's write loop over every socket, ms */
  writeLoop: { meanMs: number; maxMs: number };
  /** messages received in full by the clients, and those sent that never arrived */
  delivered: number;
  lost: number;
  /** first event → last byte received (to 5 ms), and at least the sent events' schedule (sent ÷ rate), s */
  wallS: number;
  deliveredPerSec: number;
  /** CPU time over the hold ÷ deliveries, µs: the server process, and all client processes together */
  serverCpu: { user: number; system: number };
  clientCpu: { user: number; system: number };
  /** due time → received, of every event on 1 socket in `sampleEvery` */
  latency: { samples: number; sampleEvery: number; p50Ms: number; p99Ms: number; maxMs: number } | null;
}

export interface FanoutFloorOptions {
  clients: number;
  rate: number;
  holdS: number;
  messageBytes: number;
  processes: number;
}

/** How long the clients get, after the last event went out, for its last byte. */
const GRACE_MS = 5000;
/** Latency is read on 1 socket in this many; the others only count bytes, as the floor should. */
const SAMPLE_EVERY = 50;

interface Done {
  startUs: number;
  sent: number;
  intended: number;
  late: number;
  loop: FanoutFloor['writeLoop'];
  sockets: number;
  lastSentUs: number;
}
interface Report {
  bytes: number;
  lastByteUs: number;
  cpu: NodeJS.CpuUsage;
  samples: number[];
}

/** Runs the floor; its processes are killed before it returns or throws. */
export async function measureFanoutFloor(o: FanoutFloorOptions): Promise<FanoutFloor> {
  const entry = fileURLToPath(new URL('./fanout-floor-child.js', import.meta.url));
  const children: ChildProcess[] = [];
  const spawn = (args: string[]) => {
    const child = fork(entry, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    return child;
  };
  try {
    const server = spawn(['server']);
    const port = await reply<number>(server, 'port', 10_000, 'floor server listen');
    const shares = Array.from(
      { length: o.processes },
      (_, i) => Math.floor(o.clients / o.processes) + (i < o.clients % o.processes ? 1 : 0),
    );
    const clients = shares.map((n) =>
      spawn(['client', String(port), String(n), String(o.messageBytes), String(SAMPLE_EVERY)]),
    );
    const connectMs = 30_000 + o.clients; // 30 s, and 1 ms more per socket
    const conns = await Promise.all(
      clients.map((c) =>
        reply<{ sockets: number; failed: number }>(c, 'connected', connectMs, 'floor clients connect'),
      ),
    );
    const connected = conns.reduce((n, c) => n + c.sockets, 0);
    if (!connected) throw new Error(`no floor socket connected (${conns.reduce((n, c) => n + c.failed, 0)} failed)`);
    // A client sees its connect before the server has accepted it: wait (bounded) for the accepts.
    for (const until = Date.now() + 10_000; Date.now() < until;) {
      const p = reply<number>(server, 'sockets', 5000, 'floor server count');
      server.send({ count: true });
      if ((await p) >= connected) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await Promise.all(
      clients.map((c) => {
        const p = reply<true>(c, 'marked', 5000, 'floor client mark');
        c.send({ mark: true });
        return p;
      }),
    );
    const doneP = reply<Done>(server, 'done', (o.holdS + 30) * 1000, 'floor server hold');
    server.send({ start: { rate: o.rate, holdS: o.holdS, messageBytes: o.messageBytes } });
    const done = await doneP;
    const reports = await Promise.all(
      clients.map((c, i) => {
        const p = reply<Report>(c, 'report', GRACE_MS + 10_000, 'floor client report');
        c.send({ expect: { bytes: done.sent * conns[i].sockets * o.messageBytes, graceMs: GRACE_MS } });
        return p;
      }),
    );
    const serverCpuP = reply<NodeJS.CpuUsage>(server, 'cpu', 5000, 'floor server cpu');
    server.send({ report: true });
    const serverCpu = await serverCpuP;

    const bytes = reports.reduce((n, r) => n + r.bytes, 0);
    const delivered = Math.floor(bytes / o.messageBytes);
    // At least the sent events' schedule: N events span N intervals, not the N − 1 between their first bytes.
    const scheduleEndUs = done.startUs + (done.sent * 1e6) / o.rate;
    const lastUs = Math.max(scheduleEndUs, done.lastSentUs, ...reports.map((r) => r.lastByteUs));
    const wallS = (lastUs - done.startUs) / 1e6;
    const per = (micros: number) => (delivered ? micros / delivered : 0);
    const sum = (k: 'user' | 'system') => reports.reduce((n, r) => n + r.cpu[k], 0);
    return {
      clients: o.clients,
      connected: done.sockets,
      processes: o.processes,
      messageBytes: o.messageBytes,
      rate: o.rate,
      holdS: o.holdS,
      eventsIntended: done.intended,
      eventsSent: done.sent,
      eventsLate: done.late,
      writeLoop: done.loop,
      delivered,
      lost: Math.max(0, done.sent * done.sockets - delivered),
      wallS,
      deliveredPerSec: wallS > 0 ? delivered / wallS : 0,
      serverCpu: { user: per(serverCpu.user), system: per(serverCpu.system) },
      clientCpu: { user: per(sum('user')), system: per(sum('system')) },
      latency: latencyOf(reports.flatMap((r) => r.samples)),
    };
  } finally {
    await stopAll(children);
  }
}

function latencyOf(samplesUs: number[]): FanoutFloor['latency'] {
  if (!samplesUs.length) return null;
  const sorted = Float64Array.from(samplesUs).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] / 1000;
  return { samples: sorted.length, sampleEvery: SAMPLE_EVERY, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
}

/** The first message from `child` carrying `key`; rejects when the child exits first or after `timeoutMs`. */
function reply<T>(child: ChildProcess, key: string, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const settle = (f: () => void) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      f();
    };
    const onMessage = (m: unknown) => {
      if (m && typeof m === 'object' && key in m) settle(() => resolve((m as Record<string, T>)[key]));
    };
    const onExit = (code: number | null, signal: string | null) =>
      settle(() => reject(new Error(`${what}: the process exited (${signal ?? code})`)));
    const timer = setTimeout(
      () => settle(() => reject(new Error(`${what}: no answer in ${timeoutMs / 1000} s`))),
      timeoutMs,
    );
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Clients reset their sockets and exit; whatever is still running a second later is killed. */
async function stopAll(children: ChildProcess[]): Promise<void> {
  const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
  const exited = children.filter(running).map(
    (c) =>
      new Promise<void>((r) => {
        c.once('exit', () => r());
        if (c.connected) c.send({ stop: true }, () => {});
      }),
  );
  await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, 1000))]);
  for (const c of children) if (running(c)) c.kill('SIGKILL');
}
