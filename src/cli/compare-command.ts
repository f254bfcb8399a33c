import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { UsageError, formatUserError, isUserError } from '../errors.js';
import { readResults } from '../results/results-file.js';
import { compareRuns, DEFAULT_SIGMAS, type Comparison } from '../report/compare/compare.js';
import { formatCompareJson } from '../report/compare/format-json.js';
import { formatCompareMarkdown } from '../report/compare/format-markdown.js';
import { formatCompareTable } from '../report/compare/format-table.js';
import { formatJunit } from '../report/compare/junit.js';
import { FAIL_ON_HELP, parseRules } from '../report/compare/rules.js';

export interface CompareFlags {
  failOn?: string;
  format?: string;
  junit?: string;
  noiseSigmas?: string;
}

/** Where the command writes; tests pass their own to capture output. */
export interface CommandOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: CommandOutput = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

const FORMATS: Record<string, (c: Comparison) => string> = {
  table: formatCompareTable,
  markdown: formatCompareMarkdown,
  md: formatCompareMarkdown,
  json: formatCompareJson,
};

/**
 * `rtbench compare` without commander: returns the exit code (0 within limits, 1 a limit broken,
 * 2 a usage error, printed as one line) instead of exiting, so tests and callers can use it.
 */
export async function compareAction(
  baselinePath: string,
  currentPath: string,
  flags: CompareFlags,
  output: CommandOutput = processOutput,
): Promise<number> {
  try {
    const format = FORMATS[(flags.format ?? 'table').toLowerCase()];
    if (!format) throw new UsageError(`unknown --format "${flags.format}"`, 'use table, markdown or json');
    const sigmas = flags.noiseSigmas === undefined ? DEFAULT_SIGMAS : Number(flags.noiseSigmas);
    if (!Number.isFinite(sigmas) || sigmas < 0)
      throw new UsageError(
        `--noise-sigmas "${flags.noiseSigmas}" is not a number ≥ 0`,
        `e.g. --noise-sigmas ${DEFAULT_SIGMAS}, or 0 to compare without noise allowance`,
      );
    // Rules first: a typo in --fail-on should not wait for two large files to load.
    const rules = parseRules(flags.failOn);
    const comparison = compareRuns(readResults(baselinePath), readResults(currentPath), rules, { sigmas });
    output.stdout(format(comparison));
    if (flags.junit) {
      mkdirSync(dirname(flags.junit), { recursive: true });
      writeFileSync(flags.junit, formatJunit(comparison));
    }
    return comparison.failed ? 1 : 0;
  } catch (e) {
    if (!isUserError(e)) throw e;
    output.stderr(formatUserError(e) + '\n');
    return 2;
  }
}

/** Adds `rtbench compare BASELINE CURRENT` to the program. */
export function registerCompareCommand(program: Command): Command {
  return program
    .command('compare')
    .description('compare two results files metric by metric; exits 1 when a --fail-on limit is broken (for CI)')
    .argument('<baseline>', 'results JSON of the reference run')
    .argument('<current>', 'results JSON of the run to judge')
    .option('--fail-on <limits>', FAIL_ON_HELP)
    .option('--format <format>', 'table, markdown (pull-request comments, $GITHUB_STEP_SUMMARY) or json', 'table')
    .option('--junit <file>', 'also write JUnit XML: one testcase per protocol and limit')
    .option(
      '--noise-sigmas <k>',
      'standard deviations of sampling noise a change must exceed to break a relative limit (0: none)',
      String(DEFAULT_SIGMAS),
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 all limits hold, 1 a limit is broken, 2 usage error.\n' +
        'Changes on percentages (wasted) are in percentage points: wasted>+5% fails when the wasted share ' +
        'grows by more than 5 points.\n' +
        "A change within the runs' own sampling noise (from their HDR histograms) never breaks a change limit " +
        '(+10%, +5ms); absolute limits (lost>0, p99>250ms) apply as written.\n' +
        'Example: rtbench compare reports/baseline.json reports/run.json --fail-on ' +
        "'p99>+10%,lost>0,wasted>+5%' --format markdown",
    )
    .action(async (baseline: string, current: string, flags: CompareFlags) => {
      process.exitCode = await compareAction(baseline, current, flags);
    });
}
