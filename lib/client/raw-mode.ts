// The local terminal in raw mode for the session (every key goes to the console, ^C included)
// and back to how it was on every way out. Signals end the session, which restores it; the
// 'exit' hook covers the rest (process.exit anywhere, an uncaught exception: Node emits 'exit'
// before it prints the stack trace). Node resets fds 0-2 only as the process dies; this guard
// restores any terminal stream, at once.
import type { ReadStream } from 'node:tty';

export class RawModeGuard {
  private active = false;
  private readonly restoreOnExit = (): void => this.restore();

  constructor(private readonly input: ReadStream) {}

  enter(): void {
    if (this.active) return;
    this.input.setRawMode(true);
    this.active = true;
    process.on('exit', this.restoreOnExit);
  }

  /** Idempotent. A terminal that hung up cannot be restored, and needs not be. */
  restore(): void {
    if (!this.active) return;
    this.active = false;
    process.removeListener('exit', this.restoreOnExit);
    try {
      this.input.setRawMode(false);
    } catch {
      // EIO/EBADF: the terminal is gone
    }
  }
}
