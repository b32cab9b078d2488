// Opens sessions at a bounded rate with a bounded number in flight, and measures each open:
// from creating the websocket to its 'open' event, or to its first console byte (an echo
// console's prompt), the point at which a user sees a console.
import type { SecureContext } from 'node:tls';
import { Histogram, type HistogramData } from '../histogram.js';
import { openClientSession, type ClientSession } from './client-session.js';
import type { Target } from './target.js';

export interface OpenJob {
  target: Target;
  machines: string[];
  /** One token for every session, or one per machine (cold caches: a new user each time). */
  tokens?: string[];
  /** Opens started per second at most; 0: as fast as `concurrency` allows. */
  ratePerSecond: number;
  /** Opens in flight at most. */
  concurrency: number;
  /** 'first-byte': the open counts when console output arrives; 'open': at the websocket's open. */
  until: 'open' | 'first-byte';
  /** Close each session as soon as it counted (a churn of opens), instead of keeping it. */
  closeAfterOpen: boolean;
  /** Per open. */
  timeoutMs: number;
  /** No open starts after this long. */
  deadlineMs: number;
}

export interface OpenResult {
  attempted: number;
  opened: number;
  failed: number;
  /** A few distinct failure messages. */
  errors: string[];
  latency: HistogramData;
  /** Epoch milliseconds (performance.timeOrigin based), comparable across processes. */
  startedAt: number;
  finishedAt: number;
}

const MAX_ERRORS_KEPT = 5;

export async function openSessions(
  job: OpenJob,
  connect: { localAddress: string; secureContext?: SecureContext },
  keep: (session: ClientSession) => void,
): Promise<OpenResult> {
  const latency = new Histogram();
  const errors = new Set<string>();
  const closing: Promise<void>[] = [];
  let next = 0;
  let opened = 0;
  let failed = 0;
  const start = performance.now();
  const deadline = start + job.deadlineMs;
  const spacingMs = job.ratePerSecond > 0 ? 1000 / job.ratePerSecond : 0;

  const openOne = async (index: number) => {
    const token = job.tokens?.[index % job.tokens.length];
    const began = performance.now();
    const session = openClientSession(job.target, job.machines[index]!, {
      ...connect,
      handshakeTimeoutMs: job.timeoutMs,
      ...(token ? { token } : {}),
    });
    try {
      await ready(session, job.until, job.timeoutMs);
      latency.recordMs(performance.now() - began);
      opened++;
      if (job.closeAfterOpen) closing.push(session.close(job.timeoutMs));
      else keep(session);
    } catch (error) {
      failed++;
      if (errors.size < MAX_ERRORS_KEPT) errors.add((error as Error).message);
      session.terminate();
    }
  };

  const worker = async () => {
    while (next < job.machines.length && performance.now() < deadline) {
      const index = next++;
      const wait = start + index * spacingMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await openOne(index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, job.concurrency) }, worker));
  const finishedAt = epochNow();
  await Promise.all(closing);
  return {
    attempted: next,
    opened,
    failed,
    errors: [...errors],
    latency: latency.toJSON(),
    startedAt: performance.timeOrigin + start,
    finishedAt,
  };
}

export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Resolves when the session counts as open; rejects with why it did not. */
function ready(session: ClientSession, until: OpenJob['until'], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => settle(new Error(`no ${until} within ${timeoutMs} ms`)), timeoutMs);
    function settle(error?: Error) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.onOutput = () => {};
      if (error) reject(error);
      else resolve();
    }
    session.opened.then(() => until === 'open' && settle(), (error: Error) => settle(error));
    void session.closed.then(() => {
      const why = session.failure ?? session.status;
      settle(new Error(`closed before ${until}${why ? `: ${why}` : ''}`));
    });
    if (until === 'first-byte') session.onOutput = () => settle();
  });
}
