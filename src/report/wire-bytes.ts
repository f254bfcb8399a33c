import type { ProtocolResult } from '../results/schema.js';

/** Bytes on the wire per delivered event, in + out; null when nothing was delivered (no per-event cost, not 0). */
export function bytesPerEvent(p: ProtocolResult): number | null {
  return p.delivered ? p.bytes.inPerEvent + p.bytes.outPerEvent : null;
}
