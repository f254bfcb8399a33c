import { UsageError } from '../errors.js';
import { mergeRuns } from '../results/merge.js';
import { resultLabel } from '../results/result-label.js';
import type { ProtocolResult, RunResults } from '../results/schema.js';
import type { RunPlan } from '../scenario/plan.js';
import { protocolSpread } from '../report/spread.js';
import { runBenchmark, type RunHooks } from './runner.js';

/** Most runs one `run --repeat` makes: enough for a spread, bounded in time. */
export const MAX_REPEAT = 20;

/** `--repeat N` / "repeat": a whole number from 1 to 20; shards share one start, so they cannot repeat. */
export function parseRepeat(v: unknown, plan: RunPlan): number {
  if (v === undefined || v === null) return 1;
  const text = typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v);
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_REPEAT)
    throw new UsageError(
      `--repeat "${text}" is not a whole number from 1 to ${MAX_REPEAT}`,
      'e.g. --repeat 5 (each run is the whole benchmark: the run takes 5 times as long)',
    );
  if (n > 1 && (plan.shard || plan.startAt !== null))
    throw new UsageError(
      '--repeat cannot be combined with --shard or --start-at (the shards share one start time)',
      'repeat the sharded run from outside and merge with rtbench merge',
    );
  return n;
}

/**
 * Runs the whole benchmark `n` times, one after another, and merges the runs: histograms added,
 * counters summed (as for shards), with each protocol's run-to-run spread of its main figures.
 * Ctrl-C ends the current run (partial) and merges what was measured.
 */
export async function runRepeated(
  plan: RunPlan,
  n: number,
  hooks: RunHooks,
  onRunDone?: (run: number, results: RunResults) => void,
): Promise<RunResults> {
  const runs: RunResults[] = [];
  for (let i = 1; i <= n; i++) {
    if (hooks.signal?.aborted) break;
    const results = await runBenchmark(plan, hooks);
    runs.push(results);
    onRunDone?.(i, results);
  }
  return runs.length === 1 ? runs[0] : mergeRepeats(runs);
}

/**
 * N runs of one plan as one result. The shard merge adds histograms and sums counters exactly;
 * what differs from shards is put right: every run had the plan's clients (not a share) and its
 * own publisher, so clients and the connected peak are one run's, published events and publish
 * errors are summed, the connect rate is the runs' mean.
 */
export function mergeRepeats(runs: RunResults[]): RunResults {
  const merged = mergeRuns(runs);
  const byLabel = (label: string) =>
    runs.map((r) => r.protocols.find((p) => resultLabel(p) === label)).filter((p): p is ProtocolResult => !!p);
  const protocols = merged.protocols.map((m): ProtocolResult => {
    const rs = byLabel(resultLabel(m));
    const sum = (f: (p: ProtocolResult) => number) => rs.reduce((a, p) => a + f(p), 0);
    return {
      ...m,
      clients: rs[0].clients,
      connectedPeak: Math.max(...rs.map((p) => p.connectedPeak)),
      published: sum((p) => p.published),
      publishErrors: sum((p) => p.publishErrors),
      connectRate: sum((p) => p.connectRate) / rs.length,
      ...(rs.length > 1 ? { spread: protocolSpread(rs) } : {}),
    };
  });
  return {
    ...merged,
    params: { ...merged.params, clients: runs[0].params.clients, repeat: runs.length },
    notes: [
      ...merged.notes.filter((n) => !n.startsWith('Merged from ')),
      `Repeated ${runs.length} times: histograms added bucket by bucket, so percentiles are those of all ` +
        `${runs.length} runs' deliveries; counts (delivered, lost, errors, requests, published) are summed over ` +
        `the runs; "spread" holds each protocol's lowest, highest, mean and standard deviation of its main ` +
        'figures over the runs, which rtbench compare takes as the noise band.',
    ],
    protocols,
  };
}
