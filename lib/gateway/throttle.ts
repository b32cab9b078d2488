// A bandwidth cap for one client connection (kube's UpgradeAwareHandler has MaxBytesPerSec):
// the session hands each write to the pacer, which runs it at once while the budget allows and
// otherwise later, in order. Nothing is dropped: output credit goes back to the provider only
// when a write has run, so the provider slows to the cap and at most a window waits here.
// The budget is a token bucket of a tenth of a second's bytes; a write may overdraw it (a
// message is never split) and the next one waits until the debt is paid.

/** What the session calls on its client-facing send path. */
export interface OutputPacer {
  /** Runs `write` (which sends `bytes` to the client) now or later, after earlier writes; true if now. */
  run(bytes: number, write: () => void): boolean;
  /** The client is gone: drop what waits. */
  stop(): void;
}

export class BandwidthPacer implements OutputPacer {
  private readonly burst: number;
  private budget: number;
  private at: number;
  private readonly waiting: { bytes: number; write: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bytesPerSecond: number,
    /** Told each time writes had to wait, and how long (for metrics). */
    private readonly onWait: (ms: number) => void = () => {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.burst = Math.max(1, bytesPerSecond / 10);
    this.budget = this.burst;
    this.at = now();
  }

  run(bytes: number, write: () => void): boolean {
    if (this.waiting.length === 0 && this.refill() >= 0) {
      this.budget -= bytes;
      write();
      return true;
    }
    this.waiting.push({ bytes, write });
    this.schedule();
    return false;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting.length = 0;
  }

  private refill(): number {
    const now = this.now();
    this.budget = Math.min(this.burst, this.budget + ((now - this.at) / 1000) * this.bytesPerSecond);
    this.at = now;
    return this.budget;
  }

  private schedule(): void {
    if (this.timer) return;
    const waitMs = Math.max(1, Math.ceil((-this.refill() * 1000) / this.bytesPerSecond));
    this.onWait(waitMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.waiting.length > 0 && this.budget >= 0) {
        const next = this.waiting.shift()!;
        this.budget -= next.bytes;
        next.write();
      }
      if (this.waiting.length > 0) this.schedule();
    }, waitMs);
  }
}
