import type { ProtocolResult } from '../../results/schema.js';

export type { ServerTimelinePoint } from '../../results/schema.js';

/** A protocol's results as the report reads them. */
export type ReportProtocol = ProtocolResult;
