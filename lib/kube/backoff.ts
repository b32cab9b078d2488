// Retry delays, for everything here that retries (a watch, a link to a provider, a client's
// reconnection): doubling from a first delay to a cap, each one jittered (between half and all
// of it) so that the many clients one failure dropped together do not all come back in the
// same instant; and, for a policy that says so, giving up after a while.
// No Node imports: the browser page uses it too.

export interface BackoffPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  /** Stop retrying this long after the first failure; unset: never. */
  giveUpAfterMs?: number;
}

/** A client (the CLI, the browser page) whose session dropped: two minutes of tries. */
export const RECONNECT_BACKOFF: BackoffPolicy = { firstDelayMs: 250, maxDelayMs: 5000, giveUpAfterMs: 120_000 };

/** A list or watch of the API server that failed. */
export const WATCH_BACKOFF: BackoffPolicy = { firstDelayMs: 250, maxDelayMs: 30_000 };

/** A provider the gateway could not reach: opens fail fast until the delay has passed. */
export const LINK_BACKOFF: BackoffPolicy = { firstDelayMs: 100, maxDelayMs: 5000 };

/** The wait before retry number `attempt` (1-based): half fixed, half random. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const full = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(full / 2 + (random() * full) / 2);
}

/** The delays of one run of failures; reset() when an attempt worked. */
export class Backoff {
  private attempt = 0;
  private deadline: number;

  constructor(private readonly policy: BackoffPolicy) {
    this.deadline = Date.now() + (policy.giveUpAfterMs ?? Infinity);
  }

  /** The delay before the next attempt, or undefined once it is time to give up. */
  next(): number | undefined {
    if (Date.now() >= this.deadline) return undefined;
    return backoffDelay(++this.attempt, this.policy);
  }

  /** An attempt worked: the next failure starts from the first delay again. */
  reset(): void {
    this.attempt = 0;
    this.deadline = Date.now() + (this.policy.giveUpAfterMs ?? Infinity);
  }
}
