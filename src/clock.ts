/**
 * One clock for every rtbench process on a machine.
 * process.hrtime is CLOCK_MONOTONIC, shared by all processes on a Linux host; the anchor that maps
 * it to epoch time is taken once by the main process and handed to workers through the
 * environment, so a publish time taken in one process and a receive time taken in another differ
 * only by real elapsed time, never by two separate Date.now() readings.
 */
const ENV_KEY = 'RTBENCH_CLOCK_ANCHOR';

let anchorEpochMicros: number;
let anchorHr: bigint;

const inherited = process.env[ENV_KEY];
if (inherited) {
  const [epoch, hr] = inherited.split(':');
  anchorEpochMicros = Number(epoch);
  anchorHr = BigInt(hr);
} else {
  anchorEpochMicros = Date.now() * 1000;
  anchorHr = process.hrtime.bigint();
  process.env[ENV_KEY] = `${anchorEpochMicros}:${anchorHr}`;
}

/** Microseconds since the Unix epoch, monotonic and consistent across rtbench's processes. */
export function nowMicros(): number {
  return anchorEpochMicros + Number(process.hrtime.bigint() - anchorHr) / 1000;
}

export function nowMs(): number {
  return nowMicros() / 1000;
}

/** The environment entry that lets a child process share this clock. */
export function clockEnv(): Record<string, string> {
  return { [ENV_KEY]: `${anchorEpochMicros}:${anchorHr}` };
}
