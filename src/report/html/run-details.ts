import type { RunResults } from '../../results/schema.js';
import { formatBytes } from '../../scenario/units.js';
import { esc } from './escape.js';
import { protocolLabel, seriesLabel } from './labels.js';

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

/** The `rtbench run` command line that repeats this run's load (flags as the CLI names them). */
export function reproduceCommand(r: RunResults): string {
  const p = r.params;
  const flags: Array<[string, string | number | null]> = [
    ['protocols', p.protocols.join(',')],
    ['clients', p.clients],
    ['duration', seconds(p.durationMs)],
    ['ramp', seconds(p.rampMs)],
    ['rate', `${Number(p.rate.toPrecision(6))}/s`],
    ['payload', `${p.payloadBytes}B`],
    ['poll-interval', seconds(p.pollIntervalMs)],
    ['long-poll-timeout', seconds(p.longPollTimeoutMs)],
    ['workers', p.workers],
    ['fanout-delay', seconds(p.fanoutDelayMs)],
    ['target', p.target],
    ['name', p.name],
  ];
  const quote = (v: string) => (/^[\w.,/:@%+-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);
  return [
    'rtbench run',
    ...flags.filter(([, v]) => v !== null && v !== '').map(([k, v]) => `--${k} ${quote(String(v))}`),
  ].join(' ');
}

function definitionList(items: Array<[string, string]>): string {
  return `<dl>${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

/** Parameters, machine, notes and measurement methods: what someone needs to reproduce the run. */
export function runDetails(r: RunResults): string {
  const p = r.params;
  const params = definitionList([
    ['scenario', p.name ?? '(unnamed)'],
    ...(p.tags && Object.keys(p.tags).length
      ? [
          [
            'tags',
            Object.entries(p.tags)
              .map(([k, v]) => `${k}=${v}`)
              .join(', '),
          ] as [string, string],
        ]
      : []),
    ['protocols', p.protocols.map(protocolLabel).join(', ')],
    ['clients per protocol', String(p.clients)],
    ['duration / ramp-up', `${seconds(p.durationMs)} / ${seconds(p.rampMs)}`],
    ['publish rate', `${Number(p.rate.toPrecision(6))} events/s`],
    ['payload', formatBytes(p.payloadBytes)],
    ['poll interval', seconds(p.pollIntervalMs)],
    ['long-poll timeout', seconds(p.longPollTimeoutMs)],
    ['client workers', p.workers ? String(p.workers) : 'automatic'],
    ['fan-out delay', seconds(p.fanoutDelayMs)],
    ['target', p.target ?? 'bundled reference server'],
    ['started', r.startedAt],
    ['finished', r.finishedAt],
    ['rtbench', `${r.tool.version} (results schema ${r.schemaVersion})`],
  ]);
  const m = r.machine;
  const machine = definitionList([
    ['CPU', `${m.cpuModel} × ${m.cpus}`],
    ['memory', formatBytes(m.totalMemBytes)],
    ['Node.js', m.node],
    ['platform', `${m.platform} ${m.arch}`],
  ]);
  const methods = [
    ...new Set(
      r.protocols.flatMap((x) =>
        [x.server?.method, x.client?.method].filter((s): s is string => !!s).map((s) => `${seriesLabel(x)}: ${s}`),
      ),
    ),
  ];
  const list = (items: string[]) =>
    items.length ? `<ul>${items.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '<p class="muted">none</p>';
  return [
    '<div class="details">',
    `<div><h3>Parameters</h3>${params}</div>`,
    `<div><h3>Machine</h3>${machine}</div>`,
    '</div>',
    `<h3>Reproduce</h3><pre class="command">${esc(reproduceCommand(r))}</pre>`,
    `<h3>Notes</h3>${list(r.notes)}`,
    `<h3>How memory was measured</h3>${list(methods)}`,
  ].join('');
}
