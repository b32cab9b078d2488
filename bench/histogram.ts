// A log-linear latency histogram in the manner of HdrHistogram: values are recorded in whole
// nanoseconds; below 256 ns each value has its own bucket, above that each power of two is
// split into 128 buckets, so a percentile is off by at most 1/128 (0.8 %). Histograms from
// several load generator processes merge by adding their counts.

const SUB_BUCKETS = 128;
const EXACT_LIMIT = 2 * SUB_BUCKETS; // values below this are counted exactly
const SUB_BITS = Math.log2(SUB_BUCKETS);

/** The serialized form, as sent over IPC and written to the results JSON. */
export interface HistogramData {
  /** [bucket index, count] for every non-empty bucket. */
  buckets: [number, number][];
  count: number;
  minNs: number;
  maxNs: number;
  sumNs: number;
}

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export class Histogram {
  private readonly counts = new Map<number, number>();
  private total = 0;
  private min = Infinity;
  private max = 0;
  private sum = 0;

  recordMs(ms: number): void {
    this.recordNs(Math.max(0, Math.round(ms * 1e6)));
  }

  recordNs(ns: number): void {
    const index = bucketOf(ns);
    this.counts.set(index, (this.counts.get(index) ?? 0) + 1);
    this.total++;
    this.sum += ns;
    if (ns < this.min) this.min = ns;
    if (ns > this.max) this.max = ns;
  }

  /** Adds another histogram's counts (e.g. from another process). */
  add(data: HistogramData): void {
    for (const [index, count] of data.buckets) this.counts.set(index, (this.counts.get(index) ?? 0) + count);
    this.total += data.count;
    this.sum += data.sumNs;
    if (data.count > 0) {
      this.min = Math.min(this.min, data.minNs);
      this.max = Math.max(this.max, data.maxNs);
    }
  }

  /** The value at `percentile` (0–100) in milliseconds; NaN when nothing was recorded. */
  percentileMs(percentile: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil((percentile / 100) * this.total));
    let seen = 0;
    for (const index of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(index)!;
      if (seen >= rank) return Math.min(Math.max(middleOf(index), this.min), this.max) / 1e6;
    }
    return this.max / 1e6;
  }

  summary(): LatencySummary {
    return {
      count: this.total,
      meanMs: this.total === 0 ? NaN : this.sum / this.total / 1e6,
      p50Ms: this.percentileMs(50),
      p99Ms: this.percentileMs(99),
      p999Ms: this.percentileMs(99.9),
      maxMs: this.total === 0 ? NaN : this.max / 1e6,
    };
  }

  toJSON(): HistogramData {
    return {
      buckets: [...this.counts.entries()].sort((a, b) => a[0] - b[0]),
      count: this.total,
      minNs: this.total === 0 ? 0 : this.min,
      maxNs: this.max,
      sumNs: this.sum,
    };
  }
}

/** Power-of-two range r (values in [2^(r+SUB_BITS), 2^(r+SUB_BITS+1))) keeps SUB_BUCKETS buckets of width 2^r. */
function bucketOf(ns: number): number {
  if (ns < EXACT_LIMIT) return ns;
  const shift = Math.floor(Math.log2(ns)) - SUB_BITS;
  return shift * SUB_BUCKETS + Math.floor(ns / 2 ** shift);
}

function middleOf(index: number): number {
  if (index < EXACT_LIMIT) return index;
  const shift = Math.floor(index / SUB_BUCKETS) - 1;
  const width = 2 ** shift;
  const low = (index - shift * SUB_BUCKETS) * width;
  return low + (width - 1) / 2;
}
