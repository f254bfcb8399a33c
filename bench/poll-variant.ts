/**
 * One poller implementation alone in a process of its own, at max rate against `url`, for
 * bench/poll-compare.ts: the clients without rtbench's runner (publisher, progress, reports),
 * so two implementations compare on their own cost. Prints {"requests":…,"seconds":…,"errors":…}.
 *
 *   node dist/bench/poll-variant.js <raw|undici> <url> <connections> <seconds>
 */
import { nowMicros } from '../src/clock.js';
import { ProtocolRecorder } from '../src/metrics/recorder.js';
import { bundledEndpoints } from '../src/protocols/registry.js';
import { openPollSession, type RequestPacing } from '../src/protocols/request-loop.js';
import type { DriverOptions, DriverSession } from '../src/protocols/types.js';
import { UndiciPollSession } from './variants/undici-poller.js';

export const VARIANTS = ['raw', 'undici'] as const;
export type Variant = (typeof VARIANTS)[number];

async function main(): Promise<void> {
  const [variant, url, connections, seconds] = process.argv.slice(2);
  const n = Math.min(10_000, Math.max(1, Number(connections) || 50));
  const ms = Math.min(600, Math.max(1, Number(seconds) || 10)) * 1000;
  const options: DriverOptions = {
    target: bundledEndpoints(url),
    tag: 'bench',
    pollIntervalMs: 0,
    requestTimeoutMs: 10_000,
    sourceAddresses: [],
    rooms: 1,
  };
  // Max-rate polling, as the polling driver paces it with --poll-interval 0.
  const pacing: RequestPacing = {
    path: options.target.paths.polling,
    pauseAfter: () => 0,
    initialDelay: () => 0,
    timeoutMs: options.requestTimeoutMs,
  };
  let session: DriverSession;
  if (variant === 'raw') session = openPollSession(options, pacing);
  else if (variant === 'undici') session = new UndiciPollSession(options, pacing);
  else throw new Error(`unknown variant ${variant}; one of ${VARIANTS.join(', ')}`);
  const recorder = new ProtocolRecorder(nowMicros());
  const began = performance.now();
  const clients = Array.from({ length: n }, (_, i) => session.createClient(i, recorder.clientEvents()));
  await Promise.all(clients.map((c) => c.start()));
  await new Promise((r) => setTimeout(r, Math.max(0, ms - (performance.now() - began))));
  const requests = recorder.counters.requests;
  const elapsed = (performance.now() - began) / 1000;
  await session.close();
  process.stdout.write(JSON.stringify({ requests, seconds: elapsed, errors: recorder.counters.errors }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`poll-variant failed: ${(e as Error).stack}\n`);
  process.exitCode = 1;
});
