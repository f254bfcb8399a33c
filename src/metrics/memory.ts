import { collectGarbage } from './gc.js';
import type { MemoryReading } from '../contracts/memory-reading.js';

/** Reads this process's memory after a full GC, so the reading is live data, not garbage. */
export function readMemory(gc = true): MemoryReading {
  if (gc) collectGarbage();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

export function memoryDelta(loaded: MemoryReading, baseline: MemoryReading): MemoryReading {
  return {
    rss: loaded.rss - baseline.rss,
    heapUsed: loaded.heapUsed - baseline.heapUsed,
    external: loaded.external - baseline.external,
    arrayBuffers: loaded.arrayBuffers - baseline.arrayBuffers,
  };
}
