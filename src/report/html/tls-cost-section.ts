import type { ProtocolResult, RunResults } from '../../results/schema.js';
import { formatBytes, formatMs } from '../../scenario/units.js';
import { TLS_COST_LEGEND, tlsCostColumns, tlsCosts, type TlsCost } from '../tls-cost.js';
import { figureColumnsHtml } from './figure-columns.js';
import { axisBytes, axisTime } from './charts/axis-format.js';
import { barChart } from './charts/bar-chart.js';
import { seriesColor } from './labels.js';
import { pairLegend } from './bar-charts.js';
import { bytesPerEvent } from '../wire-bytes.js';

/** The TLS cost per protocol (a `--tls off,on` run) as a table, or '' when the run has no pair. */
export function tlsCostTable(results: RunResults): string {
  return figureColumnsHtml('tls-cost', tlsCostColumns(results), TLS_COST_LEGEND);
}

/** One figure of each protocol without and with TLS, side by side: the pairs behind the cost table. */
function pairChart(
  costs: TlsCost[],
  o: { name: string; title: string; xLabel: string; format: (v: number) => string; unit?: number },
  value: (p: ProtocolResult) => number | null,
  show: (v: number) => string,
): string {
  const bar = (c: TlsCost, p: ProtocolResult, series: string, faded: boolean) => {
    const v = value(p);
    return {
      series,
      value: v,
      text: v === null ? 'not measured' : `${show(v)} ${series}`,
      color: seriesColor(c.plain),
      faded,
    };
  };
  return barChart({
    ...o,
    legend: pairLegend('plaintext', 'TLS'),
    groups: costs.map((c) => ({
      label: c.label,
      bars: [bar(c, c.plain, 'plaintext', false), bar(c, c.tls, 'TLS', true)],
    })),
  });
}

/** Connect time and bytes per event of each protocol without and with TLS; [] when the run has no pair. */
export function tlsCostCharts(results: RunResults): Array<{ title: string; svg: string }> {
  const costs = tlsCosts(results);
  if (!costs.length) return [];
  return [
    {
      title: 'Connect time p50, plaintext vs TLS',
      svg: pairChart(
        costs,
        {
          name: 'tls-connect',
          title: 'Connect time p50',
          xLabel: 'connect p50 (TCP + TLS handshake)',
          format: axisTime,
        },
        (p) => (p.connect.count ? p.connect.p50 : null),
        formatMs,
      ),
    },
    {
      title: 'Bytes per delivered event, plaintext vs TLS',
      svg: pairChart(
        costs,
        {
          name: 'tls-bytes',
          title: 'Bytes per event',
          xLabel: 'bytes per event (in + out)',
          format: axisBytes,
          unit: 1024,
        },
        bytesPerEvent,
        formatBytes,
      ),
    },
  ];
}
