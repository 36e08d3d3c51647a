/**
 * A latency histogram in microseconds: exact below 2,048 µs, then log-linear with 1,024
 * sub-buckets per power of two (relative error under 0.1 %), up to ~71 minutes. Constant memory,
 * so a five-minute soak records millions of samples without growing.
 */
const EXACT = 2048;
const SUB = 1024;
const SIZE = EXACT + 22 * SUB;

/** Percentiles of one histogram, all in microseconds. */
export interface LatencySummary {
  count: number;
  meanUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
}

function indexOf(us: number): number {
  if (us < EXACT) return us;
  const e = 31 - Math.clz32(us) - 10;
  return EXACT + (e - 1) * SUB + ((us >>> e) - SUB);
}

function valueOf(index: number): number {
  if (index < EXACT) return index;
  const e = Math.floor((index - EXACT) / SUB) + 1;
  const m = ((index - EXACT) % SUB) + SUB;
  // The middle of the bucket: the least-biased single value for it.
  return m * 2 ** e + 2 ** (e - 1);
}

export class Histogram {
  private readonly counts = new Uint32Array(SIZE);
  count = 0;
  private sum = 0;
  private max = 0;

  /** Record one sample, in microseconds (fractions are rounded; negatives count as 0). */
  record(us: number): void {
    const v = Math.min(0xffff_ffff, Math.max(0, Math.round(us)));
    this.counts[indexOf(v)]!++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  /** Add another histogram's samples to this one. */
  merge(other: Histogram): void {
    for (let i = 0; i < SIZE; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
  }

  /** The value below which `p` percent of the samples fall (0 when empty). */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(valueOf(i), this.max);
    }
    return this.max;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      meanUs: this.count ? Math.round(this.sum / this.count) : 0,
      p50Us: this.percentile(50),
      p90Us: this.percentile(90),
      p99Us: this.percentile(99),
      maxUs: this.max,
    };
  }
}
