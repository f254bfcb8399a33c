import { setPriority } from 'node:os';

/**
 * Lowers this process's CPU priority to `nice` (0–19; 0 leaves it). The bundled server shares the
 * machine with rtbench's clients: at a lower priority it cannot keep a client from reading what it
 * has already sent, so a burst's latency is the server's queue, not the generator's. Lowering
 * needs no privileges; where the system refuses, the server runs at normal priority.
 */
export function lowerPriority(nice: number | undefined): void {
  if (!nice) return;
  try {
    setPriority(nice);
  } catch {
    // not allowed here: normal priority
  }
}
