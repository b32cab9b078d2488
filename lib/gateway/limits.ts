// Admission limits per gateway process: sessions in all, sessions per user, and opens per
// second per user. Past one, the open is refused with 429 TooManyRequests and a Retry-After,
// as kube-apiserver's max-in-flight filter answers. A user's open rate is a token bucket
// (bursts up to the rate, refilled continuously); the map of buckets forgets full ones, so
// it stays as small as the set of users opening right now.
import type { Clock } from '../kube/index.js';
import { StatusError, failureStatus, type Status } from '../protocol/index.js';

export interface SessionLimitOptions {
  /** Sessions open at once in this process; 0 or absent: no limit. */
  maxSessions?: number;
  maxSessionsPerUser?: number;
  /** Opens a user may start per second (after authentication); 0 or absent: no limit. */
  maxOpensPerSecondPerUser?: number;
  now?: Clock;
}

export type LimitName = 'sessions' | 'sessions_per_user' | 'opens_per_second_per_user';

/** Buckets kept at most; past it, full (idle) buckets are dropped first. */
const MAX_BUCKETS = 10_000;

/** A 429 whose Status carries retryAfterSeconds, which becomes the Retry-After header. */
export class TooManyRequestsError extends StatusError {
  constructor(
    message: string,
    readonly limit: LimitName,
    readonly retryAfterSeconds: number,
  ) {
    super(429, message, 'TooManyRequests');
  }

  override toStatus(): Status {
    return failureStatus(429, this.message, this.reason, { retryAfterSeconds: this.retryAfterSeconds });
  }
}

export class SessionLimits {
  /** Refusals so far, by limit (for /metrics). */
  readonly refusals = new Map<LimitName, number>();
  private active = 0;
  private readonly perUser = new Map<string, number>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly now: Clock;

  constructor(private readonly options: SessionLimitOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  /** The limits as configured (0: none), for /metrics. */
  get configured(): Record<LimitName, number> {
    return {
      sessions: this.options.maxSessions ?? 0,
      sessions_per_user: this.options.maxSessionsPerUser ?? 0,
      opens_per_second_per_user: this.options.maxOpensPerSecondPerUser ?? 0,
    };
  }

  /**
   * Counts an open of `username` against its rate, or throws a TooManyRequestsError. Called
   * right after authentication, so a flood of opens never reaches the authorizer.
   */
  countOpen(username: string): void {
    this.takeOpen(username);
  }

  /**
   * Takes a session slot for `username` (once authorized: a denied caller holds none), or throws
   * a TooManyRequestsError. The returned function gives the slot back; again, it does nothing.
   */
  admit(username: string): () => void {
    const { maxSessions, maxSessionsPerUser } = this.options;
    if (maxSessions && this.active >= maxSessions) {
      throw this.refuse('sessions', `the console gateway serves at most ${maxSessions} sessions; try again later`, 1);
    }
    const mine = this.perUser.get(username) ?? 0;
    if (maxSessionsPerUser && mine >= maxSessionsPerUser) {
      throw this.refuse('sessions_per_user', `user "${username}" has ${mine} console sessions open, the most allowed; close one and try again`, 1);
    }
    this.active++;
    this.perUser.set(username, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      const left = (this.perUser.get(username) ?? 1) - 1;
      if (left > 0) this.perUser.set(username, left);
      else this.perUser.delete(username);
    };
  }

  private takeOpen(username: string): void {
    const rate = this.options.maxOpensPerSecondPerUser;
    if (!rate) return;
    const now = this.now();
    const bucket = this.buckets.get(username) ?? { tokens: rate, at: now };
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    if (bucket.tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
      throw this.refuse('opens_per_second_per_user', `user "${username}" opens consoles faster than ${rate} per second; try again later`, retryAfter);
    }
    bucket.tokens -= 1;
    this.buckets.set(username, bucket);
    if (this.buckets.size > MAX_BUCKETS) this.forgetFullBuckets(now, rate);
  }

  private forgetFullBuckets(now: number, rate: number): void {
    for (const [user, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * rate >= rate) this.buckets.delete(user);
    }
    // All busy: the oldest go, which at worst lets one of them open a little early.
    for (const user of this.buckets.keys()) {
      if (this.buckets.size <= MAX_BUCKETS) break;
      this.buckets.delete(user);
    }
  }

  private refuse(limit: LimitName, message: string, retryAfterSeconds: number): TooManyRequestsError {
    this.refusals.set(limit, (this.refusals.get(limit) ?? 0) + 1);
    return new TooManyRequestsError(message, limit, retryAfterSeconds);
  }
}
