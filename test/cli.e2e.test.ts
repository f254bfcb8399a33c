import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/rtbench', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rtbench-cli-'));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function rtbench(args: string[], opts: { interruptAfterMs?: number; timeoutMs?: number } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    if (opts.interruptAfterMs) setTimeout(() => child.kill('SIGINT'), opts.interruptAfterMs);
    const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

function assertOneLineError(o: Outcome, mentions: RegExp): void {
  assert.equal(o.code, 2, `exit code 2, got ${o.code}; stderr: ${o.stderr}`);
  const lines = o.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${o.stderr}`);
  assert.match(lines[0], mentions);
  assert.doesNotMatch(o.stderr, /\n\s+at /, 'no stack trace');
}

test('an unknown protocol name is a one-line error naming the valid ones', async () => {
  assertOneLineError(
    await rtbench(['run', '--protocols', 'sse,carrier-pigeon']),
    /unknown protocol "carrier-pigeon".*polling, long-polling, sse, websocket/,
  );
});

test('malformed duration, rate and size are one-line errors with the expected format', async () => {
  assertOneLineError(await rtbench(['run', '--duration', 'soon']), /malformed duration "soon".*20s/);
  assertOneLineError(await rtbench(['run', '--rate', 'fast']), /malformed rate "fast"/);
  assertOneLineError(await rtbench(['run', '--payload', '12parsecs']), /malformed payload size "12parsecs"/);
  assertOneLineError(await rtbench(['run', '--clients', '0']), /malformed clients "0"/);
});

test('a scenario file with a wrong key names the key and suggests the right one', async () => {
  const file = join(dir, 'typo.json');
  writeFileSync(file, JSON.stringify({ clinets: 10, duration: '1s' }));
  assertOneLineError(await rtbench(['run', file]), /unknown key "clinets".*did you mean "clients"/);
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{"clients": 10,');
  assertOneLineError(await rtbench(['run', broken]), /not valid JSON/);
  assertOneLineError(await rtbench(['run', join(dir, 'missing.json')]), /cannot read scenario file/);
});

test('an unreachable target is a one-line error', async () => {
  const port = await closedPort();
  assertOneLineError(
    await rtbench(['run', '--target', `http://127.0.0.1:${port}`, '--duration', '1s']),
    /cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
  );
  assertOneLineError(await rtbench(['run', '--target', 'not a url']), /is not a URL/);
});

test('a port in use is a one-line error for serve', async () => {
  const blocker = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    assertOneLineError(await rtbench(['serve', '--port', String(port)]), new RegExp(`port ${port} .* already in use`));
  } finally {
    blocker.close();
  }
});

test('a port outside 0–65535 is a one-line error for serve, not a stack trace', async () => {
  assertOneLineError(
    await rtbench(['serve', '--port', '99999']),
    /malformed port "99999" — use a whole number from 0 to 65535/,
  );
});

test('an unknown flag or command exits 2 without a stack trace', async () => {
  const o = await rtbench(['run', '--clinets', '5']);
  assert.equal(o.code, 2);
  assert.match(o.stderr, /unknown option '--clinets'/);
  assert.doesNotMatch(o.stderr, /\n\s+at /);
});

test('Ctrl-C during a run prints and writes what was measured so far, marked partial', async () => {
  const out = join(dir, 'partial.json');
  const o = await rtbench(
    [
      'run',
      '--protocols',
      'websocket,sse',
      '--clients',
      '10',
      '--duration',
      '60s',
      '--ramp',
      '200ms',
      '--rate',
      '10/s',
      '--out',
      out,
      '--quiet',
    ],
    { interruptAfterMs: 8000, timeoutMs: 60_000 },
  );
  assert.equal(o.code, 130, o.stderr);
  assert.ok(existsSync(out), 'results file written');
  const results = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(results.partial, true);
  assert.match(results.partialReason, /Ctrl-C/);
  assert.equal(results.protocols.length, 1, 'the second protocol never started');
  assert.equal(results.protocols[0].protocol, 'sse', 'protocols run in canonical order: sse before websocket');
  assert.ok(results.protocols[0].delivered > 0);
  assert.equal(results.protocols[0].interrupted, true, 'the phase Ctrl-C stopped is marked interrupted');
  // The column of sse is headed "sse", then "(interrupted)" on the next line.
  assert.match(o.stdout, /│ sse\s+│\n│\s+│ \(interrupted\)\s+│/);
  assert.match(o.stdout, /PARTIAL RESULTS/);
});

async function closedPort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('an unknown fault is a one-line error naming the fault and the valid forms', async () => {
  assertOneLineError(
    await rtbench(['run', '--faults', 'explode@3s']),
    /unknown fault "explode".*drop-connections=<share>@<time>, blackhole=<share>@<time>, restart@<time> or kill-instance@<time>/,
  );
});

test('a malformed slow mode and an unknown backpressure policy are one-line errors', async () => {
  assertOneLineError(
    await rtbench(['run', '--slow-consumers', '10%', '--slow-mode', 'sleepy']),
    /unknown slow mode "sleepy"/,
  );
  assertOneLineError(await rtbench(['serve', '--backpressure', 'yolo']), /unknown backpressure policy "yolo"/);
});

test('a run whose clients never connect is partial, says why in one line and exits 3', async () => {
  const { startBrokenServer } = await import('./fixtures/broken-server.js');
  const server = await startBrokenServer('5xx');
  try {
    const out = join(dir, 'unconnected.json');
    const args = ['run', '--target', server.url, '--metrics', 'none', '--protocols', 'sse', '--clients', '3'];
    const o = await rtbench([...args, '--duration', '1s', '--ramp', '100ms', '--workers', '1', '--out', out]);
    assert.equal(o.code, 3, o.stderr);
    assert.match(o.stderr, /^rtbench: the run is partial — sse: only 0 of 3 clients were connected/m);
    const results = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(results.partial, true);
    assert.equal(results.protocols.length, 1, 'the phase still wrote its results');
  } finally {
    await server.close();
  }
});

test(
  'run --fail-on checks absolute limits on this run: a broken one exits 1, a kept one 0; a relative one is ' +
    'a usage error',
  async () => {
    const args = [
      'run',
      '--protocols',
      'websocket',
      '--clients',
      '5',
      '--duration',
      '2s',
      '--ramp',
      '100ms',
      '--rate',
      '5/s',
      '--workers',
      '1',
      '--quiet',
    ];
    const failing = await rtbench([...args, '--fail-on', 'p95>0,lost>0']);
    assert.equal(failing.code, 1, failing.stderr);
    assert.match(failing.stdout, /FAIL websocket p95 \S+ ms > 0/);
    assert.match(failing.stdout, /pass websocket lost 0 \(limit > 0\)/);
    assert.match(failing.stderr, /^rtbench: 1 of 2 --fail-on checks failed$/m);
    const passing = await rtbench([...args, '--fail-on', 'websocket:p99>10s,errors>0']);
    assert.equal(passing.code, 0, passing.stderr);
    assertOneLineError(
      await rtbench([...args, '--fail-on', 'p99>+10%']),
      /is a change from a baseline; a single run has none/,
    );
  },
);

test('run --help is a grouped reference with defaults, short flags and examples', async () => {
  const o = await rtbench(['run', '--help']);
  assert.equal(o.code, 0);
  for (const heading of [
    'Load:',
    'Output and gates:',
    'Target (instead of the bundled server):',
    'Bundled server:',
    'Examples:',
  ]) {
    assert.match(o.stdout, new RegExp(`^${heading.replace(/[()]/g, '\\$&')}$`, 'm'), heading);
  }
  assert.match(o.stdout, /-c, --clients <n>\s+simulated clients per protocol \(default:\s+100\)/);
  assert.match(o.stdout, /-d, --duration <time>/);
  assert.match(o.stdout, /kill-instance@<time>/);
});

test('piped, a run prints whole-run progress lines with the phase and the time left', async () => {
  const o = await rtbench(['run', '-p', 'sse', '-c', '3', '-d', '12s', '--ramp', '100ms', '--workers', '1']);
  assert.equal(o.code, 0, o.stderr);
  assert.match(o.stderr, /^\[1\/1\] sse: 3\/3 connected, .* · run ~\d+s left$/m);
});

test('a client worker that dies fails its phase with the reason, and the next protocols still run', async () => {
  const out = join(dir, 'dead-worker.json');
  const args = [
    'run',
    '-p',
    'sse,websocket',
    '-c',
    '4',
    '-d',
    '5s',
    '--ramp',
    '100ms',
    '--workers',
    '2',
    '-r',
    '5/s',
    '-o',
    out,
    '-q',
  ];
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = new Promise<number | null>((resolve) => child.on('close', resolve));
  // The run's client workers are its children running load/worker.js; kill one mid-phase. They are
  // looked for until both are up (a loaded machine starts them late), then 3 s pass so that both are
  // ready and their clients connected (one that dies while starting leaves its clients to the other).
  let workers: string[] = [];
  for (let i = 0; i < 150 && workers.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 100));
    workers = clientWorkersOf(child.pid!);
  }
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(workers.length, 2, 'two client workers');
  process.kill(Number(workers[0]), 'SIGKILL');
  assert.equal(await code, 3, stderr);
  const results = JSON.parse(readFileSync(out, 'utf8'));
  assert.match(
    results.partialReason,
    /^sse: 1 client worker\(s\) died mid-phase; the figures of their 2 clients are missing$/,
  );
  assert.deepEqual(
    results.protocols.map((p: { protocol: string; partial: boolean }) => [p.protocol, p.partial]),
    [
      ['sse', true],
      ['websocket', false],
    ],
  );
});

test(
  'rtbench validate checks a scenario without running it: ok and what it would run, or one line naming the ' +
    'problem',
  async () => {
    const ok = await rtbench(['validate', 'dashboard']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /dashboard\.json: ok — .*clients each, .* s per protocol, against the bundled server/);
    const bad = join(dir, 'bad-gate.json');
    writeFileSync(bad, JSON.stringify({ clients: 10, failOn: 'p99>+10%' }));
    assertOneLineError(await rtbench(['validate', bad]), /is a change from a baseline/);
    const unset = join(dir, 'unset-var.json');
    writeFileSync(unset, JSON.stringify({ target: 'http://${RTBENCH_TEST_UNSET_HOST}:8080' }));
    assertOneLineError(await rtbench(['validate', unset]), /uses \$\{RTBENCH_TEST_UNSET_HOST\}, which is not set/);
  },
);

test('--out - writes the results JSON to standard output and everything for people to stderr', async () => {
  const o = await rtbench([
    'run',
    '-p',
    'websocket',
    '-c',
    '3',
    '-d',
    '1s',
    '--ramp',
    '100ms',
    '--workers',
    '1',
    '-o',
    '-',
  ]);
  assert.equal(o.code, 0, o.stderr);
  const results = JSON.parse(o.stdout);
  assert.equal(results.protocols[0].protocol, 'websocket');
  assert.match(o.stderr, /Latency p99/);
});

test('--ndjson writes each phase’s running totals once a second, one JSON object per line', async () => {
  const file = join(dir, 'seconds.ndjson');
  const o = await rtbench([
    'run',
    '-p',
    'sse,websocket',
    '-c',
    '3',
    '-d',
    '2s',
    '--ramp',
    '500ms',
    '--workers',
    '1',
    '-q',
    '--ndjson',
    file,
  ]);
  assert.equal(o.code, 0, o.stderr);
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  for (const protocol of ['sse', 'websocket']) {
    const mine = lines.filter((l) => l.protocol === protocol);
    assert.ok(mine.length >= 2, `${protocol}: ${mine.length} lines`);
    assert.deepEqual(
      mine.map((l) => l.second),
      mine.map((_, i) => mine[0].second + i),
      'one line a second, in order',
    );
    assert.equal(mine[mine.length - 1].connected, 3);
    assert.ok(
      mine.every((l, i) => i === 0 || l.delivered >= mine[i - 1].delivered),
      'running totals',
    );
  }
});

test('run --repeat 2 merges two runs and records their spread; --repeat 21 is a one-line error', async () => {
  const out = join(dir, 'repeat.json');
  const o = await rtbench(
    ['run', '-p', 'websocket', '-c', '3', '-d', '1s', '--ramp', '100ms', '--workers', '1'].concat([
      '--repeat',
      '2',
      '-o',
      out,
    ]),
  );
  assert.equal(o.code, 0, o.stderr);
  const results = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(results.params.repeat, 2);
  assert.equal(results.protocols[0].clients, 3);
  assert.equal(results.protocols[0].spread.runs, 2);
  assert.ok(results.protocols[0].spread.figures.p50.max >= results.protocols[0].spread.figures.p50.min);
  assert.match(o.stdout, /Run-to-run spread over 2 runs/);
  assertOneLineError(await rtbench(['run', '--repeat', '21']), /--repeat "21" is not a whole number from 1 to 20/);
});

/** Pids of the client worker processes (load/worker.js) a run process started. */
function clientWorkersOf(parent: number): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        return (
          Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent &&
          readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('worker.js')
        );
      } catch {
        return false;
      }
    });
}
