import { PROTOCOL_NAMES } from '../../protocols/types.js';

// Display names only; protocols a later rtbench adds show under their command-line name.
const LABELS: Record<string, string> = { polling: 'Polling', 'long-polling': 'Long-polling', sse: 'SSE', websocket: 'WebSocket' };

// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies and in greyscale print.
const PALETTE = ['#D55E00', '#E69F00', '#009E73', '#0072B2', '#CC79A7', '#56B4E9', '#000000', '#F0E442'];

/** How a protocol is named for people. */
export function protocolLabel(name: string): string {
  return LABELS[name] ?? name;
}

/** A protocol's colour, the same in every chart and every report (keyed by canonical order). */
export function protocolColor(name: string): string {
  const i = (PROTOCOL_NAMES as readonly string[]).indexOf(name);
  if (i >= 0) return PALETTE[i % PALETTE.length];
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[PROTOCOL_NAMES.length + (hash % (PALETTE.length - PROTOCOL_NAMES.length))];
}
