import type { Command } from 'commander';
import { startReferenceServer } from '../server/server.js';
import { startServerCluster } from '../server/cluster.js';
import { parseCount, parseDuration } from '../scenario/units.js';
import { guarded } from './errors.js';

/** `rtbench serve`: only the reference server, until Ctrl-C. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the reference server (poll, long-poll, SSE, WebSocket, publish, metrics on one port)')
    .option('--port <n>', 'port to listen on (0 = any free port)', '8080')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--long-poll-timeout <time>', 'how long /long-poll holds a request', '30s')
    .option('--fanout-delay <time>', 'wait before fanning an event out (to test latency measurement)', '0ms')
    .option('--ring-size <n>', 'events kept for resume', '10000')
    .option('--processes <n>', 'server processes sharing the port; each publish reaches the clients of every process', '1')
    .action((flags: Record<string, string>) =>
      guarded(async () => {
        const options = {
          host: flags.host,
          port: parseCount(flags.port, 'port', 0),
          longPollTimeoutMs: parseDuration(flags.longPollTimeout, 'long-poll timeout'),
          fanoutDelayMs: parseDuration(flags.fanoutDelay, 'fan-out delay'),
          ringSize: parseCount(flags.ringSize, 'ring size'),
        };
        const processes = parseCount(flags.processes, 'processes');
        const server = processes > 1 ? await startServerCluster(options, processes) : await startReferenceServer(options);
        const where = processes > 1 ? `, ${processes} processes; /metrics sums them` : '';
        process.stdout.write(`rtbench reference server on ${server.url}${where}  (GET /poll /long-poll /sse, WS /ws, POST /publish, GET /metrics)\n`);
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await server.close();
      }),
    );
}
