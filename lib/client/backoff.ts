// Reconnect delays: 250 ms doubling to 5 s, each one jittered (between half and all of it) so
// the clients one gateway dropped together do not all come back in the same instant; after two
// minutes of trying, give up. No Node imports: the browser page uses it too.
export interface BackoffPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  giveUpAfterMs: number;
}

export const RECONNECT_BACKOFF: BackoffPolicy = { firstDelayMs: 250, maxDelayMs: 5000, giveUpAfterMs: 120_000 };

export class Backoff {
  private attempt = 0;
  private readonly deadline: number;

  constructor(private readonly policy: BackoffPolicy = RECONNECT_BACKOFF) {
    this.deadline = Date.now() + policy.giveUpAfterMs;
  }

  /** The delay before the next attempt, or undefined once it is time to give up. */
  next(): number | undefined {
    if (Date.now() >= this.deadline) return undefined;
    const full = Math.min(this.policy.maxDelayMs, this.policy.firstDelayMs * 2 ** this.attempt++);
    return Math.round(full / 2 + (Math.random() * full) / 2);
  }
}
