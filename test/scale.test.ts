import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connectionsPerProcess, FD_RESERVE, serverProcessesFor, splitClients } from '../src/load/capacity.js';
import { chooseSourceAddresses } from '../src/load/source-addresses.js';
import { UsageError } from '../src/errors.js';
import { generatorHealth } from '../src/results/generator-health.js';
import { sumServerMetrics } from '../src/server/metrics-sum.js';
import { leadingInteger, markerPrefix, scanEvents, scanEventsInBuffer, encodeEvent } from '../src/events/marker.js';
import { assembleProtocolResult } from '../src/results/assemble.js';
import { newHistogram, encodeHistogram } from '../src/metrics/histogram.js';
import { emptyCounters } from '../src/metrics/recorder.js';
import type { WorkerResult } from '../src/contracts/worker-messages.js';
import type { ServerMetrics } from '../src/contracts/server-metrics.js';

test('each process is filled to at most 75% of its open-file limit after a fixed reserve', () => {
  assert.equal(connectionsPerProcess(20_000), Math.floor((20_000 - FD_RESERVE) * 0.75));
  assert.equal(connectionsPerProcess(1024), Math.floor((1024 - FD_RESERVE) * 0.75));
  assert.ok(connectionsPerProcess(20_000) < 20_000 - 4000, 'well under the limit');
});

test('clients split over at least one worker per core, more when the open-file limit needs it', () => {
  assert.deepEqual(splitClients({ clients: 10, requested: 0, cores: 2, fdLimit: 20_000 }).counts, [5, 5]);
  assert.deepEqual(
    splitClients({ clients: 1, requested: 0, cores: 4, fdLimit: 20_000 }).counts,
    [1],
    'never an idle worker',
  );
  const big = splitClients({ clients: 40_000, requested: 0, cores: 2, fdLimit: 20_000 });
  assert.equal(big.workers, 3);
  assert.deepEqual(big.counts, [13_334, 13_333, 13_333]);
  assert.ok(Math.max(...big.counts) <= big.perWorkerCap);
  assert.equal(
    big.counts.reduce((a, b) => a + b),
    40_000,
    'every client has a worker',
  );
  const low = splitClients({ clients: 5000, requested: 0, cores: 2, fdLimit: 1024 });
  assert.ok(Math.max(...low.counts) <= connectionsPerProcess(1024), `a 1024 limit gives ${low.workers} workers`);
  assert.deepEqual(
    splitClients({ clients: 7, requested: 3, cores: 2, fdLimit: 20_000 }).counts,
    [3, 2, 2],
    'the user’s --workers wins',
  );
});

test('a --workers too small for the open-file limit is a usage error naming the fix', () => {
  assert.throws(
    () => splitClients({ clients: 30_000, requested: 1, cores: 2, fdLimit: 20_000 }),
    (e: unknown) =>
      e instanceof UsageError && /--workers 1 cannot hold 30000/.test(e.message) && /--workers 3/.test(e.hint ?? ''),
  );
});

test('server processes grow with the connections the open-file limit allows per process', () => {
  assert.equal(serverProcessesFor(100, 20_000), 1);
  assert.equal(serverProcessesFor(14_850, 20_000), 1);
  assert.equal(serverProcessesFor(20_000, 20_000), 2);
  assert.equal(serverProcessesFor(50_000, 20_000), 4);
});

test('loopback targets past one address’s ports get 127.0.0.1, 127.0.0.2, …; explicit lists win', () => {
  assert.deepEqual(chooseSourceAddresses('127.0.0.1', 1000, []), [], 'few clients: the OS picks');
  assert.deepEqual(
    chooseSourceAddresses('127.0.0.1', 20_000, []),
    [],
    'one address holds 25,000: binding costs connect rate',
  );
  assert.deepEqual(chooseSourceAddresses('127.0.0.1', 60_000, []), ['127.0.0.1', '127.0.0.2', '127.0.0.3']);
  assert.deepEqual(chooseSourceAddresses('10.0.0.5', 40_000, []), [], 'no loopback tricks on a real network');
  assert.deepEqual(chooseSourceAddresses('localhost', 40_000, []), [], 'localhost may be ::1');
  assert.deepEqual(chooseSourceAddresses('10.0.0.5', 40_000, ['10.0.0.7', '10.0.0.8']), ['10.0.0.7', '10.0.0.8']);
});

test(
  'a Node process started with a low soft open-file limit runs at the hard limit (why rtbench needs no ' +
    'ulimit wrapper)',
  () => {
    const hard = execFileSync('/bin/sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    if (hard === 'unlimited' || Number(hard) <= 512) return; // nothing lower to start from
    const fdLimit = fileURLToPath(new URL('../src/load/fd-limit.js', import.meta.url));
    const script =
      `import(${JSON.stringify(fdLimit)}).then((m) => ` + `process.stdout.write(JSON.stringify(m.readFdLimits())))`;
    const out = execFileSync('/bin/sh', ['-c', 'ulimit -Sn 512; exec "$0" -e "$1"', process.execPath, script], {
      encoding: 'utf8',
    });
    assert.deepEqual(JSON.parse(out), { soft: Number(hard), hard: Number(hard) });
  },
);

test('the saturation verdict needs a large generator delay, large against the reported p99', () => {
  const h = (workerP99: number, pubP99: number, latencyP99Ms: number) =>
    generatorHealth({
      workerLoopDelayP99Ms: [1, workerP99],
      workerLoopDelayMaxMs: [2, workerP99 * 2],
      publisherLoopDelayP99Ms: pubP99,
      publisherLoopDelayMaxMs: pubP99,
      latencyP99Micros: latencyP99Ms * 1000,
    });
  assert.equal(h(2, 1, 5).saturated, false, '2 ms of jitter is not saturation');
  assert.equal(h(40, 1, 60).saturated, true, 'workers 40 ms late against a 60 ms p99');
  assert.equal(h(40, 1, 2000).saturated, false, 'small against a 2 s p99 (e.g. polling)');
  assert.equal(h(1, 30, 50).saturated, true, 'a late publisher counts too');
  assert.equal(h(40, 1, 60).workerLoopDelayP99Ms, 40, 'the worst worker is reported');
});

test('cluster /metrics sums connections, buffers and memory over processes plus the primary', () => {
  const part = (pid: number, ws: number, rss: number): ServerMetrics & { pid: number } => ({
    pid,
    uptimeMs: 1,
    connections: { websocket: ws, sse: 1, other: 1 },
    buffered: { websocket: 10 },
    memory: { rss, heapUsed: 10, heapTotal: 20, external: 1, arrayBuffers: 1 },
    eventLoopDelayMs: { p50: 1, p99: pid, max: 9 },
    events: { lastId: 7, retained: 7, publishedVia: { http: 2, websocket: 1 } },
    gc: true,
    cpuMicros: { user: pid * 100, system: pid },
  });
  const primary = { rss: 1000, heapUsed: 5, heapTotal: 6, external: 0, arrayBuffers: 0 };
  const m = sumServerMetrics(
    [part(2, 10, 100), part(3, 20, 200)],
    { memory: primary, cpu: { user: 50, system: 5 } },
    5,
    true,
  );
  assert.equal(m.connections.websocket, 30);
  assert.equal(m.connections.sse, 2);
  assert.equal(m.buffered.websocket, 20);
  assert.equal(m.memory.rss, 1300);
  assert.equal(m.memory.heapUsed, 25);
  assert.equal(m.eventLoopDelayMs.p99, 3, 'the worst process');
  assert.deepEqual(m.cpuMicros, { user: 550, system: 10 }, 'CPU time of the primary and every process');
  assert.equal(m.events.lastId, 7);
  assert.deepEqual(m.events.publishedVia, { http: 4, websocket: 2 }, 'each publish entered through one process');
  assert.equal(m.processes, 2);
  assert.deepEqual(m.perProcess, [
    { pid: 2, connections: 11 },
    { pid: 3, connections: 21 },
  ]);
});

test('markers are found in raw Buffers exactly as in strings, after multi-byte text too', () => {
  const tag = 'abc123';
  const texts = [
    encodeEvent(tag, 7, 1_700_000_000_000_000, 200),
    `{"id":42,"data":{"note":"héllo ✓","m":"~rtb:${tag}:8:123~"}}`,
    `[${encodeEvent(tag, 1, 5, 64)},${encodeEvent('other', 2, 6, 64)},${encodeEvent(tag, 3, 7, 64)}]`,
    `~rtb:${tag}:9:`, // cut off: not an event
  ];
  for (const t of texts) {
    const fromText: number[][] = [];
    const fromBuf: number[][] = [];
    scanEvents(t, tag, (s, i) => fromText.push([s, i]));
    scanEventsInBuffer(Buffer.from(t), markerPrefix(tag), (s, i) => fromBuf.push([s, i]));
    assert.deepEqual(fromBuf, fromText, t);
  }
  assert.equal(leadingInteger(Buffer.from('{"id":42,"data":1}'), Buffer.from('{"id":')), 42);
  assert.equal(leadingInteger(Buffer.from('{"x":42}'), Buffer.from('{"id":')), 0);
});

test('merging two workers’ results is exact: counts summed, histograms bucket by bucket', () => {
  const worker = (values: number[], delivered: number, lost: number): WorkerResult => {
    const h = newHistogram();
    for (const v of values) h.recordValue(v);
    return {
      type: 'result',
      snapshot: {
        clients: 3,
        connectedNow: 3,
        connectedPeak: 3,
        counters: { ...emptyCounters(), delivered, lost, requests: 4, wasted: 1 },
        errorsByType: { timeout: 1 },
        latencyHdr: encodeHistogram(h),
        connectHdr: encodeHistogram(h),
        firstEventHdr: encodeHistogram(h),
        timeline: [{ t: 0, count: values.length, sumMicros: 1, maxMicros: Math.max(...values) }],
        healthyHdr: encodeHistogram(h),
        slowHdr: encodeHistogram(newHistogram()),
        slow: { clients: 0, delivered: 0, lost: 0 },
        reconnectHdr: encodeHistogram(newHistogram()),
        recovered: 0,
        perSecond: [],
      },
      wire: { in: 100, out: 10 },
      memory: {
        baseline: { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 },
        loaded: { rss: 3000, heapUsed: 300, external: 0, arrayBuffers: 0 },
      },
      rampSpanMs: 100,
      loopDelayMaxMs: 5,
      loopDelayP99Ms: 1,
      requestWindow: { first: 1_000_000, last: 2_000_000 },
    };
  };
  const a = [100, 200, 300, 400, 500_000];
  const b = [1000, 2000, 3000];
  const all = newHistogram();
  for (const v of [...a, ...b]) all.recordValue(v);
  const r = assembleProtocolResult({
    protocol: 'polling',
    clients: 6,
    workers: [worker(a, 5, 1), worker(b, 3, 0)],
    workerMemory: [],
    serverBaseline: null,
    serverLoaded: null,
    published: 10,
    publishErrors: 0,
    durationMs: 1000,
    partial: false,
  });
  assert.equal(r.delivered, 8);
  assert.equal(r.lost, 1);
  assert.equal(r.requests, 8);
  assert.equal(r.errorsByType.timeout, 2);
  assert.equal(r.connectedPeak, 6);
  assert.equal(r.latency.count, 8);
  assert.equal(r.latency.p50, all.getValueAtPercentile(50));
  assert.equal(r.latency.p90, all.getValueAtPercentile(90));
  assert.equal(r.latency.p99, all.getValueAtPercentile(99));
  assert.ok(Math.abs(r.latency.max - all.maxValue) <= all.maxValue * 0.001, 'max within HDR precision');
  assert.equal(r.timeline[0].count, 8);
  assert.equal(r.requestRate, 8, '8 requests between the first and the last, 1 s apart');
});

test('--poll-interval 0 is max-rate polling; 1–9 ms is refused as a likely typo', async () => {
  const { buildPlan } = await import('../src/scenario/options.js');
  assert.equal(buildPlan({ pollInterval: 0 }).pollIntervalMs, 0);
  assert.equal(buildPlan({ pollInterval: '0ms' }).pollIntervalMs, 0);
  assert.throws(
    () => buildPlan({ pollInterval: '5ms' }),
    (e: unknown) => e instanceof UsageError && /or 0 to poll as fast as possible/.test(e.hint ?? ''),
  );
  assert.equal(buildPlan({ serverProcesses: 3 }).server.processes, 3);
  assert.throws(() => buildPlan({ serverProcesses: -1 }), UsageError);
});
