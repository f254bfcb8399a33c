import type { Command } from 'commander';
import ora, { type Ora } from 'ora';
import { runBenchmark } from '../load/runner.js';
import { checkWritable, writeResults } from '../results/results-file.js';
import { renderSummary, type SummaryView } from '../report/summary.js';
import { evaluateGates, parseRunGates } from '../report/gate.js';
import type { Rule } from '../report/compare/rules.js';
import { UsageError } from '../errors.js';
import { buildPlan, kebab, RUN_OPTIONS, type RawRunOptions, type RunOptionName } from '../scenario/options.js';
import { loadScenarioFile } from '../scenario/scenario-file.js';
import { resolveScenarioPath } from '../scenario/bundled.js';
import type { RunResults } from '../results/schema.js';
import { resultLabel } from '../results/result-label.js';
import { EXIT, guarded } from './errors.js';
import { PROTOCOLS } from '../protocols/list.js';

const FLAG_ARGS: Partial<Record<RunOptionName, string>> = {
  protocols: '<list>', clients: '<n>', rooms: '<n>', fleet: '<n>', redis: '<url>', upstream: '<http|protocol>', duration: '<time>', ramp: '<time>', rate: '<n/s>', payload: '<size>',
  pollInterval: '<time>', longPollTimeout: '<time>', workers: '<n>', sourceAddresses: '<list>', fanoutDelay: '<time>', serverProcesses: '<n>', serverNice: '<0-19>',
  target: '<url>', targetAddresses: '<list>', publish: "<'METHOD /path'>", ...Object.fromEntries(PROTOCOLS.map((d) => [d.pathOption, '<path>'])),
  cursor: '<mode>', cursorParam: '<name>', metrics: '<path|none>', out: '<file.json>', name: '<name>', failOn: '<limits>',
  shard: '<I/N>', startAt: '<time>', runId: '<id>',
  timeout: '<time>', token: '<token>', slowConsumers: '<share>', slowMode: '<stall:time|rate:size/s>',
  backpressure: '<policy,...>', highWater: '<size>', faults: '<fault,...>', reconnectBackoff: '<first..max>', maxEventSize: '<size>', maxMessageSize: '<size>', maxAnswerSize: '<size>',
};

/** `rtbench run [scenario.json]`: flags override the scenario file, which overrides defaults. */
export function registerRunCommand(program: Command, hooks: { html?: (results: RunResults, path: string) => void } = {}): void {
  const cmd = program.command('run').description('run all (or chosen) protocols and print the comparison').argument('[scenario]', 'scenario JSON file (see rtbench scenarios)');
  for (const [name, desc] of Object.entries(RUN_OPTIONS) as [RunOptionName, string][]) {
    if (name === 'description' || name === 'headers') continue;
    const arg = FLAG_ARGS[name];
    cmd.option(`--${kebab(name)}${arg ? ' ' + arg : ''}`, desc);
  }
  cmd.option('--header <header...>', "extra request header for the target, e.g. 'Authorization: Bearer x'");
  cmd.option('--html <file.html>', 'also write the HTML report');
  cmd.option('--wide', 'print every figure, one row per protocol (wider than 80 columns)');
  cmd.option('--verbose', 'also print how each figure was measured and how the load was laid out');
  cmd.addHelpText(
    'after',
    `
Stress examples:
  --slow-consumers 10% --slow-mode stall:10s      10% of clients stop reading for 10 s when the hold starts
  --slow-consumers 20% --slow-mode rate:2KB/s     20% of clients read at most 2 KB/s
  --backpressure buffer,drop-oldest,disconnect    run each push protocol once per server policy
  --faults drop-connections=20%@30s,restart@20s   the bundled server drops 20% of connections at 30 s
                                                  and restarts at 20 s (times since the phase started)
  --reconnect-backoff 250ms..10s                  reconnect delays: exponential, full jitter`,
  );
  cmd.action((scenario: string | undefined, flags: Record<string, unknown>) =>
    guarded(async () => {
      const fromFile: RawRunOptions = scenario ? loadScenarioFile(resolveScenarioPath(scenario)) : {};
      const fromFlags: RawRunOptions = { ...flags, ...(flags.header ? { headers: flags.header } : {}) };
      delete (fromFlags as Record<string, unknown>).header;
      const view: SummaryView = { wide: flags.wide === true, verbose: flags.verbose === true };
      for (const k of ['html', 'wide', 'verbose']) delete (fromFlags as Record<string, unknown>)[k];
      const plan = buildPlan(fromFile, fromFlags);
      // Limits are checked for mistakes now, not after a run of many minutes.
      const failOn = fromFlags.failOn ?? fromFile.failOn;
      if (failOn !== undefined && typeof failOn !== 'string') throw new UsageError('failOn must be a string of limits', "e.g. \"failOn\": \"p99>250ms,lost>0\"");
      const gates = parseRunGates(failOn);
      if (plan.output.json) checkWritable(plan.output.json, '--out');
      if (typeof flags.html === 'string') checkWritable(flags.html, '--html');
      return runAndReport(plan, view, gates, flags.html as string | undefined, hooks.html);
    }),
  );
}

async function runAndReport(plan: ReturnType<typeof buildPlan>, view: SummaryView, gates: Rule[], htmlPath: string | undefined, writeHtml?: (r: RunResults, p: string) => void): Promise<number> {
  const interactive = process.stdout.isTTY && !plan.output.quiet;
  const spinner: Ora | null = interactive ? ora({ text: 'starting', discardStdin: false }).start() : null;
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130);
    controller.abort('interrupted by Ctrl-C');
    spinner?.warn('interrupted: collecting what was measured so far (Ctrl-C again to quit now)');
    if (!spinner) process.stderr.write('interrupted: collecting what was measured so far\n');
  };
  process.on('SIGINT', onSigint);
  try {
    const results = await runBenchmark(plan, {
      signal: controller.signal,
      onProgress: (line) => {
        if (spinner) spinner.text = line;
      },
      onPhaseDone: (p) => {
        if (spinner) spinner.succeed(`${resultLabel(p)}: ${p.delivered.toLocaleString('en-US')} events delivered to ${p.connectedPeak} clients`).start();
        else if (!plan.output.quiet) process.stderr.write(`${resultLabel(p)}: done\n`);
      },
    });
    spinner?.stop();
    const width = process.stdout.isTTY ? Math.max(60, process.stdout.columns || 80) : 80;
    process.stdout.write(renderSummary(results, view, plan.output.quiet, width));
    if (plan.output.json) {
      writeResults(plan.output.json, results);
      process.stdout.write(`  Results written to ${plan.output.json}${results.partial ? ' (partial)' : ''}\n`);
    }
    if (htmlPath && writeHtml) {
      writeHtml(results, htmlPath);
      process.stdout.write(`  HTML report written to ${htmlPath}\n`);
    }
    const outcomes = evaluateGates(results, gates);
    for (const o of outcomes) process.stdout.write(`  ${o.message}\n`);
    const broken = outcomes.filter((o) => o.failed);
    if (!results.partial) {
      if (!broken.length) return EXIT.ok;
      process.stderr.write(`rtbench: ${broken.length} of ${outcomes.length} --fail-on checks failed\n`);
      return EXIT.gateFailed;
    }
    if (controller.signal.aborted) return EXIT.interrupted;
    process.stderr.write(`rtbench: the run is partial — ${results.partialReason ?? 'see the notes'}\n`);
    return EXIT.partial;
  } finally {
    spinner?.stop();
    process.off('SIGINT', onSigint);
  }
}
