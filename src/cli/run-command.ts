import type { Command } from 'commander';
import ora, { type Ora } from 'ora';
import { appendFileSync, writeFileSync } from 'node:fs';
import { phasesOf } from '../load/runner.js';
import { parseRepeat, runRepeated } from '../load/repeat.js';
import type { SecondTotals } from '../load/phase.js';
import { RunProgress } from './progress.js';
import { checkWritable, writeResults } from '../results/results-file.js';
import { renderSummary } from '../report/summary.js';
import { evaluateGates, parseRunGates, scenarioLimits } from '../report/gate.js';
import { runWarnings } from '../report/few-events.js';
import { markInterrupted } from '../results/interrupted.js';
import type { Rule } from '../report/compare/rules.js';
import { buildPlan, type RawRunOptions } from '../scenario/options.js';
import type { RunPlan } from '../scenario/plan.js';
import { loadScenarioFile } from '../scenario/scenario-file.js';
import { resolveScenarioPath } from '../scenario/bundled.js';
import type { ProtocolResult, RunResults } from '../results/schema.js';
import { resultLabel } from '../results/result-label.js';
import { EXIT, guarded } from './errors.js';
import { commanderOptions, fromFlags, type Presentation } from './run-options.js';

type HtmlWriter = (results: RunResults, path: string) => void;

const EXAMPLES = `
Examples:
  rtbench run                                      all four protocols, 100 clients, against the bundled server
  rtbench run -c 1000 -d 20s -o run.json --html run.html
  rtbench run -p sse,websocket -c 5000 -r 20/s --payload 1KB --fail-on 'p95>250ms,lost>0'
  rtbench run --target http://127.0.0.1:8080 --publish 'POST /pub' --sse /events -p sse

Stress examples:
  --slow-consumers 10% --slow-mode stall:10s      10% of clients stop reading for 10 s when the hold starts
  --slow-consumers 20% --slow-mode rate:2KB/s     20% of clients read at most 2 KB/s
  --backpressure buffer,drop-oldest,disconnect    run each push protocol once per server policy
  --faults drop-connections=20%@30s,restart@20s   the bundled server drops 20% of connections at 30 s
                                                  and restarts at 20 s (times since the phase started)
  --heartbeat 15s --faults blackhole=10%@30s      10% of connections go silent at 30 s (no FIN); SSE and
                                                  WebSocket clients detect it 2–3 heartbeats later and resume
  --reconnect-backoff 250ms..10s                  reconnect delays: exponential, full jitter`;

/** `rtbench run [scenario.json|.yaml]`: flags override the scenario file, which overrides defaults. */
export function registerRunCommand(program: Command, hooks: { html?: HtmlWriter } = {}): void {
  const cmd = program
    .command('run')
    .description('run all (or chosen) protocols and print the comparison')
    .argument('[scenario]', 'scenario file, JSON or YAML (see rtbench scenarios)');
  for (const option of commanderOptions()) cmd.addOption(option);
  cmd.addHelpText('after', EXAMPLES);
  cmd.action((scenario: string | undefined, flags: Record<string, unknown>) =>
    guarded(async () => {
      const { plan, repeat, gates, presentation } = prepareRun(scenario, flags);
      return runAndReport(plan, repeat, gates, presentation, hooks.html);
    }),
  );
}

/** Everything a run needs, checked before it starts: a mistake costs a second, not a run of many minutes. */
function prepareRun(
  scenario: string | undefined,
  flags: Record<string, unknown>,
): { plan: RunPlan; repeat: number; gates: Rule[]; presentation: Presentation } {
  const fromFile: RawRunOptions = scenario ? loadScenarioFile(resolveScenarioPath(scenario)) : {};
  const { options, presentation } = fromFlags(flags);
  if (presentation.ndjson && presentation.ndjson !== '-') checkWritable(presentation.ndjson, '--ndjson');
  const plan = buildPlan(fromFile, options);
  const repeat = parseRepeat(options.repeat ?? fromFile.repeat, plan);
  const gates = parseRunGates(options.failOn ?? scenarioLimits(fromFile));
  if (plan.output.json && plan.output.json !== '-') checkWritable(plan.output.json, '--out');
  if (presentation.html) checkWritable(presentation.html, '--html');
  return { plan, repeat, gates, presentation };
}

async function runAndReport(
  plan: RunPlan,
  repeat: number,
  gates: Rule[],
  presentation: Presentation,
  writeHtml?: HtmlWriter,
): Promise<number> {
  const screen = new RunScreen(plan, repeat);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130);
    controller.abort('interrupted by Ctrl-C');
    screen.interrupted();
  };
  process.on('SIGINT', onSigint);
  try {
    const results = await runRepeated(plan, repeat, {
      signal: controller.signal,
      onProgress: (phase) => screen.progress.update(phase),
      onSecond: secondsWriter(presentation.ndjson),
      onPhaseDone: (p) => screen.phaseDone(p),
    });
    screen.stop();
    if (controller.signal.aborted) markInterrupted(results);
    results.notes.push(...runWarnings(results, gates));
    const outcomes = writeReports(plan, results, gates, presentation, writeHtml);
    return exitCode(results, outcomes, controller.signal.aborted);
  } finally {
    screen.stop();
    process.off('SIGINT', onSigint);
  }
}

/** --ndjson: the per-second stream, appended line by line so a run that is stopped keeps what it wrote. */
function secondsWriter(ndjson: string | null): ((sample: SecondTotals) => void) | undefined {
  if (!ndjson) return undefined;
  if (ndjson === '-') return (sample) => void process.stdout.write(JSON.stringify(sample) + '\n');
  writeFileSync(ndjson, '');
  return (sample) => appendFileSync(ndjson, JSON.stringify(sample) + '\n');
}

/** What a run shows while it runs: a spinner on a terminal, progress lines on stderr otherwise, or nothing. */
class RunScreen {
  private readonly spinner: Ora | null;
  readonly progress: RunProgress;
  // NO_COLOR (no-color.org): the spinner's ✔ and ⚠ come coloured from ora, so they are drawn plain.
  private readonly plain = Boolean(process.env.NO_COLOR);

  constructor(
    private readonly plan: RunPlan,
    repeat: number,
  ) {
    const interactive = process.stdout.isTTY && !plan.output.quiet;
    this.spinner = interactive ? ora({ text: 'starting', discardStdin: false }).start() : null;
    const spinner = this.spinner;
    this.progress = new RunProgress(phasesOf(plan).length * repeat, plan.rampMs + plan.durationMs, {
      redraw: spinner ? (line) => (spinner.text = line) : undefined,
      print: !spinner && !plan.output.quiet ? (line) => process.stderr.write(`${line}\n`) : undefined,
    });
  }

  phaseDone(p: ProtocolResult): void {
    this.progress.phaseDone();
    const delivered = p.delivered.toLocaleString('en-US');
    const done = `${resultLabel(p)}: ${delivered} events delivered to ${p.connectedPeak} clients`;
    if (this.spinner) this.persist('✔', done).start();
    else if (!this.plan.output.quiet) process.stderr.write(`${resultLabel(p)}: done\n`);
  }

  interrupted(): void {
    const warning = 'interrupted: collecting what was measured so far (Ctrl-C again to quit now)';
    if (this.spinner) this.persist('⚠', warning);
    else process.stderr.write('interrupted: collecting what was measured so far\n');
  }

  stop(): void {
    this.spinner?.stop();
    this.progress.stop();
  }

  private persist(symbol: '✔' | '⚠', text: string): Ora {
    const spinner = this.spinner!;
    if (this.plain) return spinner.stopAndPersist({ symbol, text });
    return symbol === '✔' ? spinner.succeed(text) : spinner.warn(text);
  }
}

/** The summary, the results file, the HTML report and the gates' lines; returns the gates' outcomes. */
function writeReports(
  plan: RunPlan,
  results: RunResults,
  gates: Rule[],
  presentation: Presentation,
  writeHtml?: HtmlWriter,
): ReturnType<typeof evaluateGates> {
  const width = process.stdout.isTTY ? Math.max(60, process.stdout.columns || 80) : 80;
  // --out -: the results JSON is standard output (for a pipe), so everything for people goes to stderr.
  const toStdout = plan.output.json === '-';
  const say = (text: string) => (toStdout ? process.stderr : process.stdout).write(text);
  const screen = Boolean((toStdout ? process.stderr : process.stdout).isTTY);
  say(renderSummary(results, { ...presentation.view, screen }, plan.output.quiet, width));
  if (plan.output.json) writeResults(plan.output.json, results);
  if (plan.output.json && !toStdout)
    say(`  Results written to ${plan.output.json}${results.partial ? ' (partial)' : ''}\n`);
  if (presentation.html && writeHtml) {
    writeHtml(results, presentation.html);
    say(`  HTML report written to ${presentation.html}\n`);
  }
  const outcomes = evaluateGates(results, gates);
  for (const o of outcomes) say(`  ${o.message}\n`);
  return outcomes;
}

/** 0, 1 when a gate broke, 3 for a partial run, 130 when Ctrl-C ended it (the reason goes to stderr). */
function exitCode(results: RunResults, outcomes: ReturnType<typeof evaluateGates>, interrupted: boolean): number {
  const broken = outcomes.filter((o) => o.failed);
  if (!results.partial) {
    if (!broken.length) return EXIT.ok;
    process.stderr.write(`rtbench: ${broken.length} of ${outcomes.length} --fail-on checks failed\n`);
    return EXIT.gateFailed;
  }
  if (interrupted) return EXIT.interrupted;
  process.stderr.write(`rtbench: the run is partial — ${results.partialReason ?? 'see the notes'}\n`);
  return EXIT.partial;
}
