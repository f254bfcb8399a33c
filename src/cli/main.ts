import { Command, CommanderError } from 'commander';
import { toolVersion } from '../load/runner.js';
import { listBundledScenarios, resolveScenarioPath } from '../scenario/bundled.js';
import { buildPlan } from '../scenario/options.js';
import { loadScenarioFile } from '../scenario/scenario-file.js';
import { parseRunGates, scenarioLimits } from '../report/gate.js';
import { guarded } from './errors.js';
import { registerRunCommand } from './run-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerReportCommand, writeHtmlReport } from './report-command.js';
import { registerCompareCommand } from './compare-command.js';
import { registerMergeCommand } from './merge-command.js';

/** Builds the commander program; commands only parse and call. */
export function buildProgram(): Command {
  const program = new Command('rtbench')
    .description('Load-test and compare polling, long-polling, Server-Sent Events and WebSocket, on one clock')
    .version(toolVersion())
    .showSuggestionAfterError(true)
    .exitOverride();
  registerRunCommand(program, { html: writeHtmlReport });
  registerServeCommand(program);
  registerReportCommand(program);
  registerCompareCommand(program);
  registerMergeCommand(program);
  program
    .command('validate')
    .description(
      'check a scenario file (keys, values, ${VAR}s, thresholds) without running it; exit 0 when it would run',
    )
    .argument('<scenario>', 'scenario file (JSON or YAML), or the name of a bundled one')
    .action((scenario: string) =>
      guarded(async () => {
        const path = resolveScenarioPath(scenario);
        const raw = loadScenarioFile(path);
        const plan = buildPlan(raw);
        parseRunGates(scenarioLimits(raw));
        const where = plan.target ? `target ${plan.target.url}` : 'the bundled server';
        const seconds = (plan.rampMs + plan.durationMs) / 1000;
        process.stdout.write(
          `${path}: ok — ${plan.protocols.join(', ')}; ${plan.clients} clients each, ${seconds} s per ` +
            `protocol, against ${where}\n`,
        );
      }),
    );
  program
    .command('scenarios')
    .description('list the bundled scenarios')
    .action(() => {
      for (const s of listBundledScenarios()) process.stdout.write(`${s.name.padEnd(16)} ${s.description}\n`);
    });
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its one-line message; help and version are not errors.
      process.exitCode =
        e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
      return;
    }
    throw e;
  }
}
