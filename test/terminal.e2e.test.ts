import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const BIN = fileURLToPath(new URL('../../bin/rtbench', import.meta.url));
const SCRIPT = '/usr/bin/script';

/** What a terminal shows at the end: escape sequences dropped, each line as its last redraw left it. */
function screenLines(raw: string): string[] {
  const lines = raw
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') // eslint-disable-line no-control-regex
    .split(/\r?\n/)
    .map((l) => l.split('\r').pop()!);
  while (lines.length && !lines.at(-1)) lines.pop();
  return lines;
}

test('in a real 80×24 terminal the last screen holds the whole table and the verdict, no line over 80', async (t) => {
  // util-linux script(1) gives the run a real pty (a spinner, process.stdout.columns); it ships with Debian.
  if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} (util-linux) is needed for a pty; apt-get install bsdutils`);
  const command = `stty cols 80 rows 24; '${process.execPath}' '${BIN}' run -c 3 -d 1s --ramp 100ms --workers 1`;
  const { stdout } = await promisify(execFile)(SCRIPT, ['-q', '-e', '-c', command, '/dev/null'], {
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, TERM: 'xterm' },
  });
  const screen = screenLines(stdout).slice(-24);
  t.diagnostic(screen.join('\n'));
  for (const line of screen) assert.ok([...line].length <= 80, `over 80 columns: ${line}`);
  const text = screen.join('\n');
  for (const protocol of ['polling', 'long-polling', 'sse', 'websocket'])
    assert.match(text, new RegExp(`│ ${protocol}`));
  for (const row of ['Connected', 'Latency p50', 'Latency p99', 'Delivered', 'Lost', 'Client mem'])
    assert.match(text, new RegExp(`│ ${row}\\s+│ [^ ]`), `the ${row} row with its numbers`);
  const verdict = screen.filter((l) => l.startsWith('Verdict · '));
  assert.ok(verdict.length >= 3 && verdict.length <= 5, `three to five verdict lines:\n${text}`);
  assert.match(verdict[0], /Median latency \(p50\): .*\d/);
});
