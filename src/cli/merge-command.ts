import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { mergeRuns } from '../results/merge.js';
import { readResults, writeResults } from '../results/results-file.js';
import { renderFootnotes, renderTable } from '../report/table.js';
import { guarded } from './errors.js';

/** `rtbench merge part-*.json -o run.json`: exact merge of shard results. */
export function registerMergeCommand(program: Command): void {
  program
    .command('merge')
    .description('merge the results of shards of one run (rtbench run --shard I/N) exactly')
    .argument('<parts...>', 'results files of the shards')
    .requiredOption('-o, --out <file.json>', 'merged results file to write')
    .option('--quiet', 'do not print the merged table')
    .action((parts: string[], flags: { out: string; quiet?: boolean }) =>
      guarded(async () => {
        if (parts.length < 2) throw new UsageError(`merge needs two or more results files, got ${parts.length}`, 'e.g. rtbench merge part-*.json -o run.json');
        const merged = mergeRuns(parts.map(readResults));
        writeResults(flags.out, merged);
        if (!flags.quiet) process.stdout.write(renderTable(merged) + '\n' + renderFootnotes(merged) + '\n');
        process.stdout.write(`  Merged ${parts.length} shards into ${flags.out}\n`);
      }),
    );
}
