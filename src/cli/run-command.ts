import { Option, type Command } from 'commander';
import ora, { type Ora } from 'ora';
import { appendFileSync, writeFileSync } from 'node:fs';
import { phasesOf } from '../load/runner.js';
import { parseRepeat, runRepeated } from '../load/repeat.js';
import type { SecondTotals } from '../load/phase.js';
import { RunProgress } from './progress.js';
import { checkWritable, writeResults } from '../results/results-file.js';
import { renderSummary, type SummaryView } from '../report/summary.js';
import { evaluateGates, parseRunGates, scenarioLimits } from '../report/gate.js';
import type { Rule } from '../report/compare/rules.js';
import { runWarnings } from '../report/few-events.js';
import { markInterrupted } from '../results/interrupted.js';
import {
  buildPlan,
  DEFAULTS,
  kebab,
  RUN_OPTIONS,
  type RawRunOptions,
  type RunOptionName,
} from '../scenario/options.js';
import { loadScenarioFile } from '../scenario/scenario-file.js';
import { resolveScenarioPath } from '../scenario/bundled.js';
import type { RunResults } from '../results/schema.js';
import { resultLabel } from '../results/result-label.js';
import { EXIT, guarded } from './errors.js';
import { PROTOCOLS } from '../protocols/list.js';

const FLAG_ARGS: Partial<Record<RunOptionName, string>> = {
  protocols: '<list>',
  clients: '<n>',
  rooms: '<n>',
  fleet: '<n>',
  redis: '<url>',
  upstream: '<http|protocol>',
  duration: '<time>',
  ramp: '<time>',
  rate: '<n/s>',
  repeat: '<n>',
  payload: '<size>',
  pollInterval: '<time>',
  longPollTimeout: '<time>',
  workers: '<n>',
  sourceAddresses: '<list>',
  fanoutDelay: '<time>',
  serverProcesses: '<n>',
  serverNice: '<0-19>',
  target: '<url>',
  targetAddresses: '<list>',
  publish: "<'METHOD /path'>",
  ...Object.fromEntries(PROTOCOLS.map((d) => [d.pathOption, '<path>'])),
  cursor: '<mode>',
  cursorParam: '<name>',
  metrics: '<path|none>',
  out: '<file.json>',
  name: '<name>',
  failOn: '<limits>',
  shard: '<I/N>',
  startAt: '<time>',
  runId: '<id>',
  timeout: '<time>',
  token: '<token>',
  slowConsumers: '<share>',
  slowMode: '<stall:time|rate:size/s>',
  backpressure: '<policy,...>',
  highWater: '<size>',
  faults: '<fault,...>',
  reconnectBackoff: '<first..max>',
  maxEventSize: '<size>',
  maxMessageSize: '<size>',
  maxAnswerSize: '<size>',
};

/** Short flags for the options typed most (k6's -u/-d habit). */
const SHORT: Partial<Record<RunOptionName, string>> = {
  protocols: 'p',
  clients: 'c',
  duration: 'd',
  rate: 'r',
  out: 'o',
  quiet: 'q',
};

/** Help headings, in order; an option not listed lands under the last. */
const GROUPS: Array<[heading: string, options: string[]]> = [
  [
    'Load:',
    [
      'protocols',
      'clients',
      'duration',
      'ramp',
      'rate',
      'payload',
      'rooms',
      'upstream',
      'pollInterval',
      'longPollTimeout',
      'timeout',
      'repeat',
    ],
  ],
  ['Output and gates:', ['out', 'html', 'ndjson', 'wide', 'verbose', 'quiet', 'failOn', 'name', 'tag']],
  [
    'Target (instead of the bundled server):',
    [
      'target',
      'targetAddresses',
      'publish',
      ...PROTOCOLS.map((d) => d.pathOption),
      'cursor',
      'cursorParam',
      'header',
      'metrics',
      'token',
    ],
  ],
  [
    'Bundled server:',
    ['serverProcesses', 'serverNice', 'fanoutDelay', 'fleet', 'redis', 'backpressure', 'highWater', 'faults'],
  ],
  [
    'Stress and client bounds:',
    ['slowConsumers', 'slowMode', 'reconnectBackoff', 'maxEventSize', 'maxMessageSize', 'maxAnswerSize'],
  ],
  ['Scale and shards:', ['workers', 'sourceAddresses', 'shard', 'startAt', 'runId']],
];
const groupOf = (name: string) => (GROUPS.find(([, names]) => names.includes(name)) ?? GROUPS[GROUPS.length - 1])[0];

/** The help line of an option: what it does and, where it has one, its default. */
function describe(name: RunOptionName, desc: string): string {
  const d = (DEFAULTS as Record<string, string | number | undefined>)[name];
  return d === undefined || d === '' ? desc : `${desc} (default: ${d})`;
}

/** `rtbench run [scenario.json|.yaml]`: flags override the scenario file, which overrides defaults. */
export function registerRunCommand(
  program: Command,
  hooks: { html?: (results: RunResults, path: string) => void } = {},
): void {
  const cmd = program
    .command('run')
    .description('run all (or chosen) protocols and print the comparison')
    .argument('[scenario]', 'scenario file, JSON or YAML (see rtbench scenarios)');
  const options: Option[] = [];
  for (const [name, desc] of Object.entries(RUN_OPTIONS)) {
    if (['description', 'headers', 'tags', 'thresholds'].includes(name)) continue;
    const arg = FLAG_ARGS[name];
    const short = SHORT[name] ? `-${SHORT[name]}, ` : '';
    options.push(new Option(`${short}--${kebab(name)}${arg ? ' ' + arg : ''}`, describe(name, desc)));
  }
  options.push(
    new Option(
      '--tag <key=value...>',
      'a label recorded with the results (repeatable), e.g. --tag build=1234 --tag env=ci',
    ),
  );
  options.push(
    new Option('--header <header...>', "extra request header for the target, e.g. 'Authorization: Bearer x'"),
  );
  options.push(new Option('--html <file.html>', 'also write the HTML report'));
  options.push(
    new Option(
      '--ndjson <file>',
      "also write each phase's running totals once a second, one JSON object per line (- for stdout)",
    ),
  );
  options.push(new Option('--wide', 'print every figure, one row per protocol (wider than 80 columns)'));
  options.push(new Option('--verbose', 'also print how each figure was measured and how the load was laid out'));
  for (const [heading] of GROUPS) {
    for (const o of options) if (groupOf(o.attributeName()) === heading) cmd.addOption(o.helpGroup(heading));
  }
  cmd.addHelpText(
    'after',
    `
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
  --reconnect-backoff 250ms..10s                  reconnect delays: exponential, full jitter`,
  );
  cmd.action((scenario: string | undefined, flags: Record<string, unknown>) =>
    guarded(async () => {
      const fromFile: RawRunOptions = scenario ? loadScenarioFile(resolveScenarioPath(scenario)) : {};
      const fromFlags: RawRunOptions = {
        ...flags,
        ...(flags.header ? { headers: flags.header } : {}),
        ...(flags.tag ? { tags: flags.tag } : {}),
      };
      delete (fromFlags as Record<string, unknown>).header;
      delete (fromFlags as Record<string, unknown>).tag;
      const view: SummaryView = { wide: flags.wide === true, verbose: flags.verbose === true };
      for (const k of ['html', 'wide', 'verbose', 'ndjson']) delete (fromFlags as Record<string, unknown>)[k];
      const ndjson = typeof flags.ndjson === 'string' ? flags.ndjson : null;
      if (ndjson && ndjson !== '-') checkWritable(ndjson, '--ndjson');
      const plan = buildPlan(fromFile, fromFlags);
      const repeat = parseRepeat(fromFlags.repeat ?? fromFile.repeat, plan);
      // Limits are checked for mistakes now, not after a run of many minutes.
      const fileLimits = scenarioLimits(fromFile);
      const gates = parseRunGates(fromFlags.failOn ?? fileLimits);
      if (plan.output.json && plan.output.json !== '-') checkWritable(plan.output.json, '--out');
      if (typeof flags.html === 'string') checkWritable(flags.html, '--html');
      return runAndReport(plan, view, gates, flags.html as string | undefined, hooks.html, ndjson, repeat);
    }),
  );
}

async function runAndReport(
  plan: ReturnType<typeof buildPlan>,
  view: SummaryView,
  gates: Rule[],
  htmlPath: string | undefined,
  writeHtml?: (r: RunResults, p: string) => void,
  ndjson: string | null = null,
  repeat = 1,
): Promise<number> {
  // The per-second stream: appended line by line, so a run that is stopped keeps what it wrote.
  if (ndjson && ndjson !== '-') writeFileSync(ndjson, '');
  const writeSecond = ndjson
    ? (sample: SecondTotals) =>
        ndjson === '-'
          ? process.stdout.write(JSON.stringify(sample) + '\n')
          : appendFileSync(ndjson, JSON.stringify(sample) + '\n')
    : undefined;
  const interactive = process.stdout.isTTY && !plan.output.quiet;
  const spinner: Ora | null = interactive ? ora({ text: 'starting', discardStdin: false }).start() : null;
  // NO_COLOR (no-color.org): the spinner's ✔ and ⚠ come coloured from ora, so they are drawn plain.
  const plain = Boolean(process.env.NO_COLOR);
  const progress = new RunProgress(phasesOf(plan).length * repeat, plan.rampMs + plan.durationMs, {
    redraw: spinner ? (line) => (spinner.text = line) : undefined,
    print: !spinner && !plan.output.quiet ? (line) => process.stderr.write(`${line}\n`) : undefined,
  });
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130);
    controller.abort('interrupted by Ctrl-C');
    const warning = 'interrupted: collecting what was measured so far (Ctrl-C again to quit now)';
    if (spinner) void (plain ? spinner.stopAndPersist({ symbol: '⚠', text: warning }) : spinner.warn(warning));
    if (!spinner) process.stderr.write('interrupted: collecting what was measured so far\n');
  };
  process.on('SIGINT', onSigint);
  try {
    const results = await runRepeated(plan, repeat, {
      signal: controller.signal,
      onProgress: (line) => progress.update(line),
      onSecond: writeSecond,
      onPhaseDone: (p) => {
        progress.phaseDone();
        const done =
          `${resultLabel(p)}: ${p.delivered.toLocaleString('en-US')} events delivered to ` +
          `${p.connectedPeak} clients`;
        if (spinner) (plain ? spinner.stopAndPersist({ symbol: '✔', text: done }) : spinner.succeed(done)).start();
        else if (!plan.output.quiet) process.stderr.write(`${resultLabel(p)}: done\n`);
      },
    });
    spinner?.stop();
    if (controller.signal.aborted) markInterrupted(results);
    results.notes.push(...runWarnings(results, gates));
    const width = process.stdout.isTTY ? Math.max(60, process.stdout.columns || 80) : 80;
    // --out -: the results JSON is standard output (for a pipe), so everything for people goes to stderr.
    const toStdout = plan.output.json === '-';
    const say = (text: string) => (toStdout ? process.stderr : process.stdout).write(text);
    say(renderSummary(results, view, plan.output.quiet, width));
    if (plan.output.json) writeResults(plan.output.json, results);
    if (plan.output.json && !toStdout)
      say(`  Results written to ${plan.output.json}${results.partial ? ' (partial)' : ''}\n`);
    if (htmlPath && writeHtml) {
      writeHtml(results, htmlPath);
      say(`  HTML report written to ${htmlPath}\n`);
    }
    const outcomes = evaluateGates(results, gates);
    for (const o of outcomes) say(`  ${o.message}\n`);
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
    progress.stop();
    process.off('SIGINT', onSigint);
  }
}
