import type { ProtocolResult, RunResults } from './schema.js';

/**
 * After Ctrl-C: the phase that was running when the run was stopped is the last partial one;
 * it is marked `interrupted`, so reports say "interrupted" rather than the "partial" of a phase
 * that failed on its own. The protocols that never started are absent, as before.
 */
export function markInterrupted(results: RunResults): void {
  const last = [...results.protocols].reverse().find((p) => p.partial);
  if (last) last.interrupted = true;
}

/** "(interrupted)" for a phase stopped by Ctrl-C, "(partial)" for one that failed, '' otherwise. */
export function partialTag(p: ProtocolResult): string {
  return p.interrupted ? '(interrupted)' : p.partial ? '(partial)' : '';
}
