import type { ProtocolResult } from './schema.js';

/** The name of a result row: the protocol, plus its variant when it ran more than once ("websocket · drop-oldest"). */
export function resultLabel(p: Pick<ProtocolResult, 'protocol' | 'variant'>): string {
  return p.variant ? `${p.protocol} · ${p.variant}` : p.protocol;
}
