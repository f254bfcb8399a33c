/**
 * `npm run false-alarms`: does the README's CI gate cry wolf? Runs PAIRS pairs of identical
 * default-scenario runs (shortened to DURATION) and compares each pair with the README's limits
 * (`p99>+10%,lost>0`); every broken limit is a false failure. Then runs DELAYED runs with a
 * 20 ms fan-out delay injected into the bundled server and compares each with a baseline from the
 * pairs: the gate must still catch that. Writes the figures to reports/false-alarms.md
 * (RTBENCH_FALSE_ALARMS_OUT). It runs the rtbench command as a user does, one run at a time.
 * Not a test: it takes about PAIRS × 2 × 40 s and its figures depend on the machine's load.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { compareRuns, type Comparison } from '../src/report/compare/compare.js';
import { parseRules } from '../src/report/compare/rules.js';
import type { RunResults } from '../src/results/schema.js';

const ENV = process.env;
const PAIRS = Number(ENV.RTBENCH_FALSE_ALARMS_PAIRS || 10);
const DURATION = ENV.RTBENCH_FALSE_ALARMS_DURATION || '5s';
const DELAYED = Number(ENV.RTBENCH_FALSE_ALARMS_DELAYED || 3);
const DELAY = ENV.RTBENCH_FALSE_ALARMS_DELAY || '20ms';
/** The README's gate. */
const LIMITS = 'p99>+10%,lost>0';
const OUT = ENV.RTBENCH_FALSE_ALARMS_OUT || fileURLToPath(new URL('../../reports/false-alarms.md', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/rtbench', import.meta.url));
/** A run of four short phases takes well under a minute; ten minutes means something hangs. */
const RUN_TIMEOUT_MS = 10 * 60_000;

const run = promisify(execFile);

async function rtbench(out: string, extra: string[]): Promise<RunResults> {
  // Exit 1 (a gate) cannot happen without --fail-on; 3 (partial) still leaves a results file to read.
  await run(process.execPath, [BIN, 'run', '--duration', DURATION, '--quiet', '--out', out, ...extra], {
    timeout: RUN_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((e: { code?: number }) => {
    if (e.code !== 3) throw e;
  });
  return JSON.parse(readFileSync(out, 'utf8')) as RunResults;
}

interface Row {
  what: string;
  comparison: Comparison;
  /** events each client received in the two runs (the fewest over the protocols) */
  events: [number, number];
  load: number;
}

const failed = (c: Comparison) => c.outcomes.filter((o) => o.status === 'fail');
const noise = (c: Comparison) => c.outcomes.filter((o) => o.status === 'noise').length;
const events = (r: RunResults) =>
  Math.min(...r.protocols.map((p) => Math.round(p.latency.count / Math.max(1, p.connectedPeak))));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rtbench-false-alarms-'));
  const rules = parseRules(LIMITS);
  const started = new Date();
  const rows: Row[] = [];
  const baselines: RunResults[] = [];
  const compared = (a: RunResults, b: RunResults) => ({
    comparison: compareRuns(a, b, rules),
    events: [events(a), events(b)] as [number, number],
    load: loadavg()[0],
  });
  try {
    for (let i = 1; i <= PAIRS; i++) {
      const a = await rtbench(join(dir, `a${i}.json`), []);
      const b = await rtbench(join(dir, `b${i}.json`), []);
      baselines.push(a);
      rows.push({ what: `identical pair ${i}`, ...compared(a, b) });
      process.stderr.write(`pair ${i}/${PAIRS}: ${failed(rows.at(-1)!.comparison).length} failed\n`);
    }
    for (let i = 1; i <= DELAYED; i++) {
      const d = await rtbench(join(dir, `d${i}.json`), ['--fanout-delay', DELAY]);
      const base = baselines[(i - 1) % baselines.length];
      rows.push({ what: `+${DELAY} fan-out delay ${i}`, ...compared(base, d) });
      process.stderr.write(`delayed ${i}/${DELAYED}: ${failed(rows.at(-1)!.comparison).length} failed\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const identical = rows.filter((r) => r.what.startsWith('identical'));
  const delayed = rows.filter((r) => !r.what.startsWith('identical'));
  const falseAlarms = identical.filter((r) => r.comparison.failed).length;
  const caught = delayed.filter((r) => r.comparison.failed).length;
  const lines = [
    '# False alarms of the CI gate',
    '',
    `\`npm run false-alarms\`, ${started.toISOString()} – ${new Date().toISOString()}, on ${cpus().length} ` +
      `CPU cores (${cpus()[0]?.model ?? 'unknown'}), shared with other work (1-minute load shown per row).`,
    '',
    `Each run: \`rtbench run --duration ${DURATION}\` (the default scenario otherwise: all four protocols, ` +
      `100 clients, 1 event/s); each pair compared with \`rtbench compare --fail-on '${LIMITS}'\`.`,
    '',
    `- identical pairs: **${falseAlarms} of ${identical.length} failed** (false alarms)`,
    `- with a ${DELAY} fan-out delay injected: **${caught} of ${delayed.length} caught**`,
    '',
    '| comparison | load | events/client | result | limits within noise | broken limits |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => {
      const f = failed(r.comparison);
      const c = r.comparison;
      return (
        `| ${r.what} | ${r.load.toFixed(1)} | ${r.events.join(' / ')} | ` +
        `${c.failed ? 'FAIL' : 'pass'} | ${noise(c)} | ${f.map((o) => o.message.replace(/\|/g, '\\|')).join('<br>') || '–'} |`
      );
    }),
    '',
    'p99 per protocol (baseline → current, noise band):',
    '',
    '| comparison | ' + protocolsOf(rows).join(' | ') + ' |',
    '| --- | ' +
      protocolsOf(rows)
        .map(() => '---')
        .join(' | ') +
      ' |',
    ...rows.map(
      (r) =>
        `| ${r.what} | ` +
        protocolsOf(rows)
          .map((p) => {
            const row = r.comparison.rows.find((x) => x.protocol === p && x.metric === 'p99');
            if (!row || row.baseline === null || row.current === null) return '–';
            const band =
              row.noise !== null && row.baseline ? ` ±${((row.noise / row.baseline) * 100).toFixed(0)}%` : '';
            return `${(row.baseline / 1000).toFixed(1)} → ${(row.current / 1000).toFixed(1)} ms${band}`;
          })
          .join(' | ') +
        ' |',
    ),
    '',
  ];
  mkdirSync(join(OUT, '..'), { recursive: true });
  writeFileSync(OUT, lines.join('\n'));
  process.stdout.write(`${lines.slice(6, 9).join('\n')}\nwritten to ${OUT}\n`);
  process.exitCode = falseAlarms === 0 && caught === delayed.length ? 0 : 1;
}

function protocolsOf(rows: Row[]): string[] {
  return [...new Set(rows.flatMap((r) => r.comparison.protocols))];
}

await main();
