import type { Command } from 'commander';
import { startReferenceServer } from '../server/server.js';
import { parseCount, parseDuration, parseSize } from '../scenario/units.js';
import { parseBackpressure, parseHeartbeat } from '../scenario/stress.js';
import { UsageError } from '../errors.js';
import { startServerCluster } from '../server/cluster.js';
import { startFleet } from '../load/fleet.js';
import { guarded } from './errors.js';
import { writeFileSync } from 'node:fs';
import { parseTlsOptions } from '../scenario/tls.js';
import { selfSignedCertificate } from '../server/tls.js';

/** `rtbench serve`: only the reference server, until Ctrl-C. */
export function registerServeCommand(program: Command): void {
  const command = program
    .command('serve')
    .description('run the reference server (poll, long-poll, SSE, WebSocket, publish, metrics on one port)');
  addServeOptions(command).action((flags: Record<string, string>) => guarded(() => serve(flags)));
}

function addServeOptions(command: Command): Command {
  return command
    .option('--port <n>', 'port to listen on (0 = any free port)', '8080')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--long-poll-timeout <time>', 'how long /long-poll holds a request', '30s')
    .option('--fanout-delay <time>', 'wait before fanning an event out (to test latency measurement)', '0ms')
    .option('--ring-size <n>', 'events kept for resume', '10000')
    .option(
      '--ring-bytes <size>',
      'and at most this many bytes of them (the oldest go first; the newest always stays)',
      '64MB',
    )
    .option(
      '--backpressure <policy>',
      'slow clients: buffer (unbounded), drop-oldest (bounded queue) or disconnect',
      'buffer',
    )
    .option('--high-water <size>', 'bytes waiting for one client before the backpressure policy acts', '1MB')
    .option('--max-connections <n>', 'open connections at once; more get 503', '100000')
    .option('--max-header-size <size>', 'request line and headers; more get 431', '16KB')
    .option(
      '--max-message-size <size>',
      'largest WebSocket message a client may send; more closes it with 1009',
      '64KB',
    )
    .option('--header-timeout <time>', 'a request must send its headers within this time (slowloris)', '10s')
    .option('--idle-timeout <time>', 'close keep-alive connections idle this long', '65s')
    .option('--heartbeat <time|off>', 'send SSE comments and WebSocket pings this often (100ms..1h)', 'off')
    .option(
      '--token <token>',
      'require this bearer token (header, rtbench_token cookie, bearer.<token> WebSocket subprotocol or first message)',
    )
    .option(
      '--processes <n>',
      'server processes sharing the port; each publish reaches the clients of every process',
      '1',
    )
    .option(
      '--instances <n>',
      'a fleet: N instances, each its own process and port (from --port on), fanning out through --redis',
      '1',
    )
    .option('--redis <url>', 'Redis URL for --instances, e.g. redis://127.0.0.1:6379')
    .option('--tls', 'serve https:// and wss:// with a self-signed certificate made now (or --cert/--key)')
    .option('--cert <file>', 'the certificate (PEM) to serve TLS with instead; needs --key')
    .option('--key <file>', 'the private key (PEM, unencrypted) of --cert')
    .option('--cert-out <file>', 'write the generated certificate (PEM) here, for clients to trust (curl --cacert)');
}

/** The server's certificate and key when it serves TLS, else null; a generated one is written to --cert-out. */
function serverTls(flags: Record<string, string | boolean | undefined>) {
  const plan = parseTlsOptions({ tls: flags.tls, cert: flags.cert, key: flags.key });
  if (flags.certOut && (!plan.modes.includes(true) || plan.material))
    throw new UsageError(
      '--cert-out writes the certificate --tls generates',
      plan.material ? 'drop --cert-out: you have the --cert file' : 'add --tls',
    );
  if (!plan.modes.includes(true)) return null;
  const host = String(flags.host);
  const material = plan.material ?? selfSignedCertificate(['127.0.0.1', '::1', host]);
  if (flags.certOut) writeCertificate(String(flags.certOut), material.cert);
  return material;
}

function writeCertificate(path: string, pem: string): void {
  try {
    writeFileSync(path, pem);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unwritable';
    throw new UsageError(`cannot write --cert-out file "${path}" (${code})`, 'give a writable path');
  }
}

/** Starts the server (one process, a cluster or a fleet), says where, and closes it on Ctrl-C or SIGTERM. */
async function serve(flags: Record<string, string>): Promise<void> {
  const options = serverOptions(flags);
  const processes = parseCount(flags.processes, 'processes');
  const instances = parseCount(flags.instances, 'instances');
  if (instances > 1 && !flags.redis)
    throw new UsageError(
      `--instances ${instances} needs --redis: the instances fan events out through Redis`,
      'e.g. --instances 3 --redis redis://127.0.0.1:6379',
    );
  const server =
    instances > 1
      ? await startFleet(options, instances, flags.redis)
      : processes > 1
        ? await startServerCluster(options, processes)
        : await startReferenceServer(options);
  const where = processes > 1 ? `, ${processes} processes; /metrics sums them` : '';
  const fleet = 'instances' in server && server.instances ? server.instances : null;
  if (fleet)
    process.stdout.write(
      `rtbench reference fleet: ${fleet.length} instances over ${flags.redis}: ${fleet.join(' ')}  ` +
        `(publish to any; each serves GET /poll /long-poll /sse, WS /ws, GET /metrics)\n`,
    );
  else
    process.stdout.write(
      `rtbench reference server on ${server.url}${where}  (GET /poll /long-poll /sse, ` +
        `${options.tls ? 'WSS' : 'WS'} /ws, POST /publish, GET /metrics)\n`,
    );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
}

function serverOptions(flags: Record<string, string>) {
  return {
    host: flags.host,
    port: parseCount(flags.port, 'port', 0, 65535),
    longPollTimeoutMs: parseDuration(flags.longPollTimeout, 'long-poll timeout'),
    fanoutDelayMs: parseDuration(flags.fanoutDelay, 'fan-out delay'),
    ringSize: parseCount(flags.ringSize, 'ring size'),
    ringBytes: parseSize(flags.ringBytes, 'ring bytes'),
    backpressure: singlePolicy(flags.backpressure),
    highWaterBytes: parseSize(flags.highWater, 'high-water mark'),
    maxConnections: parseCount(flags.maxConnections, 'max connections'),
    maxHeaderBytes: parseSize(flags.maxHeaderSize, 'max header size'),
    maxMessageBytes: parseSize(flags.maxMessageSize, 'max message size'),
    headersTimeoutMs: parseDuration(flags.headerTimeout, 'header timeout'),
    idleTimeoutMs: parseDuration(flags.idleTimeout, 'idle timeout'),
    heartbeatMs: parseHeartbeat(flags.heartbeat),
    token: flags.token ?? null,
    tls: serverTls(flags),
  };
}

function singlePolicy(text: string) {
  const policies = parseBackpressure(text);
  if (policies.length > 1)
    throw new UsageError('rtbench serve runs one backpressure policy', 'pass one of buffer, drop-oldest, disconnect');
  return policies[0];
}
