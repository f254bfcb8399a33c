import type { ProtocolResult } from '../../results/schema.js';

/**
 * One second of server-side health during slow-consumer or fault scenarios. Not in the results
 * schema yet: reports render it when a protocol carries it and skip the section otherwise.
 */
export interface ServerTimelinePoint {
  t: number;
  rss: number;
  buffered: number;
  dropped: number;
  disconnected: number;
  reconnects: number;
  healthyP99Micros: number;
}

/** A protocol's results as the report reads them: the schema plus optional additions. */
export type ReportProtocol = ProtocolResult & { serverTimeline?: ServerTimelinePoint[] };
