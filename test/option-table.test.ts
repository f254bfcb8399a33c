import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { runOptions, scenarioKeys, type RunOption } from '../src/scenario/option-table.js';
import { commanderOptions, fromFlags } from '../src/cli/run-options.js';
import { buildPlan } from '../src/scenario/options.js';
import { runParams } from '../src/load/run-params.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

interface ReadmeRow {
  flags: string[];
  key: string | null;
  defaultCell: string;
  line: string;
}

/** The rows of the README's "## Options" table: the flags and scenario key of the first cell, the default cell. */
function readmeOptionRows(): ReadmeRow[] {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('\n## Options\n');
  assert.ok(start >= 0, 'the README has an "## Options" section');
  const section = text.slice(start + 1, text.indexOf('\n## ', start + 1));
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const [first, defaultCell] = line.split(' | ');
      return {
        flags: [...first.matchAll(/`(--[a-z][a-z-]*)/g)].map((m) => m[1]),
        key: /\/ `([A-Za-z]+)`/.exec(first)?.[1] ?? null,
        defaultCell: defaultCell.replaceAll('`', '').trim(),
        line,
      };
    });
}

/** The default as the README should begin its cell: the value, the first clause of a computed one, or –. */
function expectedDefault(o: RunOption): string {
  if (o.default !== undefined) return String(o.default);
  if (o.defaultText !== undefined) return o.defaultText.split(';')[0];
  return '–';
}

test("the README's option table lists every option of the table, with its scenario key and default", () => {
  const rows = readmeOptionRows();
  assert.ok(rows.length > 30, `found ${rows.length} rows`);
  for (const o of runOptions().filter((x) => x.only !== 'scenario')) {
    const matching = rows.filter((r) => r.flags.includes(`--${o.flag}`));
    assert.equal(matching.length, 1, `--${o.flag} has one row in the README's option table`);
    const row = matching[0];
    assert.deepEqual(row.flags, [`--${o.flag}`], `one option per row: ${row.line}`);
    assert.equal(row.key, o.only === 'flag' ? null : o.key, `--${o.flag}: scenario key in the README`);
    const want = expectedDefault(o);
    assert.ok(
      row.defaultCell === want || row.defaultCell.startsWith(`${want} `),
      `--${o.flag}: the README's default "${row.defaultCell}" does not begin with the table's "${want}"`,
    );
  }
});

test("the README's option table names no flag the option table lacks", () => {
  const known = new Set(runOptions().map((o) => `--${o.flag}`));
  for (const row of readmeOptionRows())
    for (const flag of row.flags) assert.ok(known.has(flag), `the README lists ${flag}, which rtbench run lacks`);
});

test('every option becomes a commander flag in its help group, and a flag lands under its scenario key', () => {
  const cmd = new Command('run').exitOverride();
  for (const o of commanderOptions()) cmd.addOption(o);
  const help = cmd.helpInformation().replace(/\s+/g, ' ');
  for (const heading of ['Load:', 'Output and gates:', 'Scale and shards:']) assert.ok(help.includes(heading), heading);
  assert.ok(help.includes('-c, --clients <n> simulated clients per protocol (default: 100)'), help);
  cmd.parse(['--long-poll', '/lp', '--tag', 'a=1', '--tag', 'b=2', '--wide', '-c', '7', '--html', 'r.html'], {
    from: 'user',
  });
  const { options, presentation } = fromFlags(cmd.opts());
  assert.deepEqual(options, { longPoll: '/lp', tags: ['a=1', 'b=2'], clients: '7' });
  assert.deepEqual(presentation, { view: { wide: true, verbose: false }, html: 'r.html', ndjson: null });
  const plan = buildPlan(options);
  assert.equal(plan.clients, 7);
  assert.deepEqual(plan.tags, { a: '1', b: '2' });
});

test('scenario keys are the options minus the flag-only ones, plus each protocol path option', () => {
  const keys = scenarioKeys();
  for (const k of ['clients', 'pollInterval', 'headers', 'tags', 'description', 'poll', 'longPoll', 'sse', 'ws'])
    assert.ok(keys.includes(k), k);
  for (const k of ['html', 'ndjson', 'wide', 'verbose', 'header', 'tag']) assert.ok(!keys.includes(k), k);
});

test("the results' params record exactly the options the table says they record", () => {
  // a stress run with tags, a shard and heartbeats, so that every conditional block of params is present
  const plan = buildPlan({
    target: 'http://127.0.0.1:9',
    shard: '1/2',
    startAt: '2030-01-01T00:00:00Z',
    tags: { build: '7' },
    slowConsumers: '10%',
    heartbeat: '15s',
  });
  // HTTP/2 and Socket.IO (which has no slow consumers) in a second plan; their params join the first's.
  const h2 = buildPlan({ target: 'http://127.0.0.1:9', protocols: 'sse,socketio', http: '1.1,2' });
  const params = { ...runParams(h2, null), ...runParams(plan, null) } as Record<string, unknown>;
  const recorded = Object.entries(params).flatMap(([k, v]) =>
    k === 'stress' ? Object.keys(v as object).map((s) => `stress.${s}`) : [k],
  );
  const declared = runOptions().flatMap((o) => (o.recordedAs ? [o.recordedAs] : []));
  assert.deepEqual([...recorded].sort(), [...declared].sort());
});
