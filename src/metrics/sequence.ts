/**
 * Per-client sequence checking. The first event a client sees sets its start; after that every
 * seq must arrive exactly once and in order. A jump leaves the skipped seqs "missing": one that
 * arrives later is counted reordered, and whatever is still missing at the end is lost.
 */
const EMPTY: ReadonlySet<number> = new Set();

export class SequenceTracker {
  /** a client of one room out of N sees every N-th seq */
  constructor(private readonly stride = 1) {}

  private highest = 0;
  private missing: Set<number> | null = null;
  lost = 0;
  /** of `lost`, seqs published before the hold started (during the ramp) */
  lostInRamp = 0;
  duplicated = 0;
  reordered = 0;
  delivered = 0;

  /** Returns false for a duplicate, which must not be recorded as a delivery. */
  accept(seq: number): boolean {
    const step = this.stride;
    if (this.highest === 0 || seq === this.highest + step) {
      this.highest = seq;
      this.delivered++;
      return true;
    }
    if (seq > this.highest) {
      this.missing ??= new Set();
      for (let s = this.highest + step; s < seq; s += step) this.missing.add(s);
      this.highest = seq;
      this.delivered++;
      return true;
    }
    if (this.missing?.delete(seq)) {
      this.reordered++;
      this.delivered++;
      return true;
    }
    this.duplicated++;
    return false;
  }

  get started(): boolean {
    return this.highest > 0;
  }

  get last(): number {
    return this.highest;
  }

  /**
   * Closes the books at the end of a run: seqs still missing are lost, and so is every seq after
   * the last one seen up to `lastPublished` (events the client should have had by the end).
   * Seqs the target never accepted (`neverPublished`) cannot be delivered and are not lost.
   */
  finish(lastPublished: number, neverPublished: ReadonlySet<number> = EMPTY, firstHoldSeq = 1): number {
    let lost = 0;
    let inRamp = 0;
    const count = (s: number) => {
      if (neverPublished.has(s)) return;
      lost++;
      if (s < firstHoldSeq) inRamp++;
    };
    if (this.missing) for (const s of this.missing) count(s);
    if (this.started) for (let s = this.highest + this.stride; s <= lastPublished; s += this.stride) count(s);
    this.lost = lost;
    this.lostInRamp = inRamp;
    return lost;
  }
}
