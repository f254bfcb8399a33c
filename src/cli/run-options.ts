import { Option } from 'commander';
import { HELP_GROUPS, runOptions, type RawRunOptions, type RunOption } from '../scenario/option-table.js';
import type { SummaryView } from '../report/summary.js';

/** The help line of an option: what it does and, where it has one, its default. */
function helpLine(o: RunOption): string {
  const d = o.default ?? o.defaultText;
  return d === undefined || d === '' ? o.help : `${o.help} (default: ${d})`;
}

/** `--poll-interval` → `pollInterval`: where commander puts a flag's value. */
function attributeOf(o: RunOption): string {
  return o.flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * Commander's options for `rtbench run`, from the option table, in help-group order. None has a
 * commander default: an option left out must not override the scenario file (buildPlan applies
 * the table's defaults under both).
 */
export function commanderOptions(): Option[] {
  const flags = runOptions().filter((o) => o.only !== 'scenario');
  return HELP_GROUPS.flatMap((group) =>
    flags
      .filter((o) => o.group === group)
      .map((o) => {
        const short = o.short ? `-${o.short}, ` : '';
        return new Option(`${short}--${o.flag}${o.arg ? ' ' + o.arg : ''}`, helpLine(o)).helpGroup(group);
      }),
  );
}

/** How a run is presented, from the flag-only options. */
export interface Presentation {
  view: SummaryView;
  html: string | null;
  ndjson: string | null;
}

/** Commander's parsed flags split into the run's options (by scenario key) and how to present it. */
export function fromFlags(flags: Record<string, unknown>): { options: RawRunOptions; presentation: Presentation } {
  const options: RawRunOptions = {};
  for (const o of runOptions()) {
    const value = flags[attributeOf(o)];
    if (o.only !== 'flag' && value !== undefined) options[o.key] = value;
  }
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  const presentation = {
    view: { wide: flags.wide === true, verbose: flags.verbose === true },
    html: text(flags.html),
    ndjson: text(flags.ndjson),
  };
  return { options, presentation };
}
