/**
 * The floor of the client-memory comparison: a process that only holds bare, idle TCP sockets.
 * Run as its own child process like every tool in the comparison, so its peak process-tree RSS is
 * read by the same method; whatever a client keeps per connection beyond this is the client's own.
 *
 *   node dist/bench/hold-sockets.js <url[,url…]> <count> <rampS> <holdS> [processes]
 *
 * Socket i connects to url i mod N (several destinations: each has its own ephemeral port range).
 * Sockets open evenly over the ramp, are held `holdS` s after it, then reset; prints one JSON line.
 * With `processes` > 1 this process holds none itself and forks that many, each holding a share:
 * one process cannot hold more sockets than its open-file limit. Give every run of a comparison
 * the same `processes`, so the fixed cost of the processes cancels out of the slope.
 */
import { fork } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

interface Summary {
  sockets: number;
  connected: number;
  held: number;
  closedEarly: number;
  errors: number;
}

const [urls, countArg, rampArg, holdArg, processesArg = '1', offsetArg = '0'] = process.argv.slice(2);
const count = Number(countArg);
const rampMs = Number(rampArg) * 1000;
const holdMs = Number(holdArg) * 1000;
const processes = Number(processesArg);
/** index of this process's first socket among all processes' (a forked share), for the destinations */
const offset = Number(offsetArg);
if (!urls || !(count > 0) || !(rampMs >= 0) || !(holdMs >= 0) || !(processes >= 1)) {
  process.stderr.write('usage: hold-sockets <url[,url…]> <count> <rampS> <holdS> [processes]\n');
  process.exit(2);
}

const summary = processes > 1 ? await forkShares() : await hold();
process.stdout.write(JSON.stringify(summary) + '\n');
// Let the resets go out before the process ends (an exit would close the sockets with a FIN).
setTimeout(() => process.exit(0), 200);

/** Forks `processes` copies of this script, each holding its share over the same ramp; sums what they held. */
async function forkShares(): Promise<Summary> {
  const self = fileURLToPath(import.meta.url);
  const shares = Array.from(
    { length: processes },
    (_, i) => Math.floor(count / processes) + (i < count % processes ? 1 : 0),
  );
  const results = await Promise.all(
    shares.map(
      (share, i) =>
        new Promise<Summary | null>((resolve) => {
          const first = shares.slice(0, i).reduce((a, b) => a + b, 0);
          const args = [urls, String(share), rampArg, holdArg, '1', String(first)];
          const child = fork(self, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
          let out = '';
          child.stdout!.on('data', (d) => (out += d));
          child.on('close', () => {
            try {
              resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as Summary);
            } catch {
              resolve(null);
            }
          });
        }),
    ),
  );
  const sum: Summary = { sockets: count, connected: 0, held: 0, closedEarly: 0, errors: 0 };
  for (const r of results) {
    if (!r) continue;
    sum.connected += r.connected;
    sum.held += r.held;
    sum.closedEarly += r.closedEarly;
    sum.errors += r.errors;
  }
  return sum;
}

async function hold(): Promise<Summary> {
  const destinations = urls
    .split(',')
    .map((u) => new URL(u))
    .map((u) => ({ host: u.hostname, port: Number(u.port) }));
  const open = new Set<Socket>();
  const s: Summary = { sockets: count, connected: 0, held: 0, closedEarly: 0, errors: 0 };
  let ending = false;
  const openOne = (i: number) => {
    const d = destinations[(offset + i) % destinations.length];
    const socket = connect(d.port, d.host);
    socket.once('connect', () => {
      s.connected++;
      open.add(socket);
    });
    socket.on('error', () => s.errors++);
    socket.once('close', () => {
      if (open.delete(socket) && !ending) s.closedEarly++;
    });
    // Anything the server writes (e.g. a timeout answer) is read and dropped, as an idle client would.
    socket.resume();
  };

  const t0 = performance.now();
  let started = 0;
  await new Promise<void>((done) => {
    // Catch up with the ramp's schedule every 10 ms: even spacing without a timer per socket.
    const timer = setInterval(() => {
      const due = rampMs === 0 ? count : Math.min(count, Math.floor((count * (performance.now() - t0)) / rampMs));
      while (started < due) openOne(started++);
      if (started >= count) {
        clearInterval(timer);
        done();
      }
    }, 10);
  });
  const rampEnd = Math.max(t0 + rampMs, performance.now());
  await new Promise((r) => setTimeout(r, rampEnd + holdMs - performance.now()));
  s.held = open.size;
  ending = true;
  // A reset, not a FIN: a FIN would leave each client port in TIME_WAIT for a minute, and the next
  // tool in the comparison needs those ports.
  for (const socket of open) socket.resetAndDestroy();
  return s;
}
