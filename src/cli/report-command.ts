import type { Command } from 'commander';
import { formatUserError, isUserError } from '../errors.js';
import { readResults } from '../results/results-file.js';
import { writeHtmlReport } from '../report/html/write.js';
import type { CommandOutput } from './compare-command.js';

export { writeHtmlReport };

export interface ReportFlags {
  out?: string;
}

const processOutput: CommandOutput = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

/** run.json → run.html next to it, unless -o says otherwise. */
export function defaultReportPath(resultsPath: string): string {
  return resultsPath.replace(/\.json$/i, '') + '.html';
}

/** `rtbench report` without commander: returns the exit code (0 written, 2 usage error). */
export async function reportAction(
  resultsPath: string,
  flags: ReportFlags,
  output: CommandOutput = processOutput,
): Promise<number> {
  try {
    const results = readResults(resultsPath);
    const out = flags.out ?? defaultReportPath(resultsPath);
    writeHtmlReport(results, out);
    output.stdout(`wrote ${out}\n`);
    return 0;
  } catch (e) {
    if (!isUserError(e)) throw e;
    output.stderr(formatUserError(e) + '\n');
    return 2;
  }
}

/** Adds `rtbench report RESULTS.json [-o FILE.html]` to the program. */
export function registerReportCommand(program: Command): Command {
  return program
    .command('report')
    .description('render a results file as one self-contained HTML report (works offline, printable)')
    .argument('<results>', 'results JSON written by rtbench run --out')
    .option('-o, --out <file>', 'HTML file to write (default: the results file name with .html)')
    .action(async (resultsPath: string, flags: ReportFlags) => {
      process.exitCode = await reportAction(resultsPath, flags);
    });
}
