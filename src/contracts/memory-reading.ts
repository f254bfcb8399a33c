/** One process's memory, read after a full GC: what a worker reports and the results file keeps. */
export interface MemoryReading {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}
