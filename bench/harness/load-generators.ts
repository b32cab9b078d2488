// The load generator processes of a scenario, driven together: sessions and rates are split
// over them (each has its own source address, 127.0.0.N, so none runs out of ports or
// descriptors), each phase starts in all of them at once, and their results are merged.
import { Histogram } from '../histogram.js';
import type { BulkJob, BulkResult } from '../load/bulk-reader.js';
import type { OpenJob, OpenResult } from '../load/opener.js';
import type { StallJob } from '../load/stalled-reader.js';
import type { TypeJob, TypeResult } from '../load/typist.js';
import type { LoadGeneratorOptions } from '../processes/load-generator.js';
import { BenchChild, startAll } from './child.js';

/** What one process may hold: its descriptor limit is 20000, and it needs some for itself. */
export const SESSIONS_PER_GENERATOR = 5000;

export interface MergedOpen extends Omit<OpenResult, 'latency'> {
  latency: Histogram;
  /** Opens per second over the whole run, all processes together. */
  opensPerSecond: number;
}

export interface MergedBulk extends BulkResult {
  bytesPerSecond: number;
}

export interface MergedType extends Omit<TypeResult, 'rtt'> {
  rtt: Histogram;
}

export class LoadGenerators {
  private constructor(private readonly children: BenchChild[]) {}

  /** `count` processes with source addresses 127.0.0.`firstHost`, +1, … */
  static async start(count: number, firstHost = 11): Promise<LoadGenerators> {
    const children = await startAll(
      Array.from({ length: count }, (_, i) => {
        const options: LoadGeneratorOptions = { localAddress: `127.0.0.${firstHost + i}` };
        return BenchChild.start('load-generator', options, `load generator ${i}`);
      }),
    );
    return new LoadGenerators(children);
  }

  get count(): number {
    return this.children.length;
  }

  get pids(): number[] {
    return this.children.map((child) => child.pid);
  }

  /** Opens `job.machines` (and tokens alike) split round-robin over the processes. */
  async open(job: OpenJob): Promise<MergedOpen> {
    const parts = await Promise.all(
      this.children.map((child, i) => {
        const machines = job.machines.filter((_, index) => index % this.count === i);
        const tokens = job.tokens && job.tokens.length > 1 ? job.tokens.filter((_, index) => index % this.count === i) : job.tokens;
        return child.call<OpenResult>('open', {
          ...job,
          machines,
          ...(tokens ? { tokens } : {}),
          ratePerSecond: job.ratePerSecond / this.count,
          concurrency: Math.max(1, Math.round(job.concurrency / this.count)),
        });
      }),
    );
    const latency = new Histogram();
    for (const part of parts) latency.add(part.latency);
    const startedAt = Math.min(...parts.map((p) => p.startedAt));
    const finishedAt = Math.max(...parts.map((p) => p.finishedAt));
    const opened = sum(parts.map((p) => p.opened));
    return {
      attempted: sum(parts.map((p) => p.attempted)),
      opened,
      failed: sum(parts.map((p) => p.failed)),
      errors: [...new Set(parts.flatMap((p) => p.errors))],
      latency,
      startedAt,
      finishedAt,
      opensPerSecond: opened / ((finishedAt - startedAt) / 1000),
    };
  }

  /** Reads every held session's bulk output; all processes start together. */
  async bulk(job: BulkJob): Promise<MergedBulk> {
    const parts = await Promise.all(this.children.map((child) => child.call<BulkResult>('bulk', job)));
    const startedAt = Math.min(...parts.map((p) => p.startedAt));
    const endedAt = Math.max(...parts.map((p) => p.endedAt));
    const bytes = sum(parts.map((p) => p.bytes));
    return {
      sessions: sum(parts.map((p) => p.sessions)),
      completed: sum(parts.map((p) => p.completed)),
      bytes,
      verifiedBytes: sum(parts.map((p) => p.verifiedBytes)),
      messages: sum(parts.map((p) => p.messages)),
      startedAt,
      endedAt,
      failures: parts.flatMap((p) => p.failures),
      bytesPerSecond: endedAt > startedAt ? bytes / ((endedAt - startedAt) / 1000) : 0,
    };
  }

  /** Types into every held session; `job.fast` fast typists in all, spread over the processes. */
  async type(job: TypeJob): Promise<MergedType> {
    const parts = await Promise.all(
      this.children.map((child, i) =>
        child.call<TypeResult>('type', { ...job, fast: Math.floor(job.fast / this.count) + (i < job.fast % this.count ? 1 : 0) }),
      ),
    );
    const rtt = new Histogram();
    for (const part of parts) rtt.add(part.rtt);
    return {
      sessions: sum(parts.map((p) => p.sessions)),
      sent: sum(parts.map((p) => p.sent)),
      verified: sum(parts.map((p) => p.verified)),
      mismatched: sum(parts.map((p) => p.mismatched)),
      rtt,
    };
  }

  /** Every held session reads `readBytes` and then stops reading; resolves with the bytes read. */
  async stall(job: StallJob): Promise<number> {
    return sum(await Promise.all(this.children.map((child) => child.call<number>('stall', job))));
  }

  async openCount(): Promise<number> {
    return sum(await Promise.all(this.children.map((child) => child.call<number>('openCount'))));
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.children.map((child) => child.call('closeAll')));
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => child.stop()));
  }
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
