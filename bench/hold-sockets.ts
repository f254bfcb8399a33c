/**
 * The floor of the client-memory comparison: a process that only holds bare, idle TCP sockets.
 * Run as its own child process like every tool in the comparison, so its peak process-tree RSS is
 * read by the same method; whatever a client keeps per connection beyond this is the client's own.
 *
 *   node dist/bench/hold-sockets.js <url[,url…]> <count> <rampS> <holdS>
 *
 * Socket i connects to url i mod N (several destinations: each has its own ephemeral port range).
 * Sockets open evenly over the ramp, are held `holdS` s after it, then reset; prints one JSON line.
 */
import { connect, type Socket } from 'node:net';

const [urls, countArg, rampArg, holdArg] = process.argv.slice(2);
const count = Number(countArg);
const rampMs = Number(rampArg) * 1000;
const holdMs = Number(holdArg) * 1000;
if (!urls || !(count > 0) || !(rampMs >= 0) || !(holdMs >= 0)) {
  process.stderr.write('usage: hold-sockets <url[,url…]> <count> <rampS> <holdS>\n');
  process.exit(2);
}
const destinations = urls.split(',').map((u) => new URL(u)).map((u) => ({ host: u.hostname, port: Number(u.port) }));

const open = new Set<Socket>();
let connected = 0;
let errors = 0;
let closedEarly = 0;
let started = 0;
let ending = false;

function openOne(i: number): void {
  const d = destinations[i % destinations.length];
  const s = connect(d.port, d.host);
  s.once('connect', () => {
    connected++;
    open.add(s);
  });
  s.on('error', () => errors++);
  s.once('close', () => {
    if (open.delete(s) && !ending) closedEarly++;
  });
  // Anything the server writes (e.g. a timeout answer) is read and dropped, as an idle client would.
  s.resume();
}

const t0 = performance.now();
await new Promise<void>((done) => {
  // Catch up to the ramp's schedule every 10 ms: even spacing without a timer per socket.
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
const held = open.size;
ending = true;
// A reset, not a FIN: a FIN would leave each client port in TIME_WAIT for a minute, and the next
// tool in the comparison needs those ports.
for (const s of open) s.resetAndDestroy();
process.stdout.write(JSON.stringify({ sockets: count, connected, held, closedEarly, errors }) + '\n');
// Let the resets go out before the process ends (an exit would close the sockets with a FIN).
setTimeout(() => process.exit(0), 200);
