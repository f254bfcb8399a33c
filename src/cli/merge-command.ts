import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { mergeRuns } from '../results/merge.js';
import { readResults, writeResults } from '../results/results-file.js';
import { renderSummary } from '../report/summary.js';
import { guarded } from './errors.js';

/** `rtbench merge part-*.json -o run.json`: exact merge of shard results. */
export function registerMergeCommand(program: Command): void {
  program
    .command('merge')
    .description('merge the results of shards of one run (rtbench run --shard I/N) exactly')
    .argument('<parts...>', 'results files of the shards')
    .requiredOption('-o, --out <file.json>', 'merged results file to write')
    .option('--quiet', 'do not print the merged table')
    .option('--wide', 'print every figure, one row per protocol')
    .option('--verbose', 'also print how each figure was measured')
    .action((parts: string[], flags: { out: string; quiet?: boolean; wide?: boolean; verbose?: boolean }) =>
      guarded(async () => {
        if (parts.length < 2)
          throw new UsageError(
            `merge needs two or more results files, got ${parts.length}`,
            'e.g. rtbench merge part-*.json -o run.json',
          );
        const merged = mergeRuns(parts.map(readResults));
        writeResults(flags.out, merged);
        const view = { wide: flags.wide === true, verbose: flags.verbose === true };
        if (!flags.quiet) process.stdout.write(renderSummary(merged, view, false, process.stdout.columns || 80));
        process.stdout.write(`  Merged ${parts.length} shards into ${flags.out}\n`);
      }),
    );
}
