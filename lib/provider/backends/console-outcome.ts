// A console ends exactly once, either normally (onEnd) or by failure (onError), and the
// consumer may set its handlers after that happened (it often awaits something between
// open() and subscribing). This holds the outcome until a handler is there, delivers it once,
// and drops it when the consumer detached first. An end can wait for output the backend still
// holds for the consumer (holdEndWhile), so that no output follows it.
import type { ConsoleEnd } from '../backend.js';

type Outcome = { kind: 'end'; end: ConsoleEnd } | { kind: 'error'; error: Error };

export class ConsoleOutcome {
  #outcome: Outcome | undefined;
  #delivered = false;
  #detached = false;
  #onEnd: ((end: ConsoleEnd) => void) | undefined;
  #onError: ((error: Error) => void) | undefined;
  #endPending: () => boolean = () => false;

  onEnd(handler: (end: ConsoleEnd) => void): void {
    this.#onEnd = handler;
    this.#deliver();
  }

  onError(handler: (error: Error) => void): void {
    this.#onError = handler;
    this.#deliver();
  }

  /** The console ended; ignored when an outcome is already known. */
  end(end: ConsoleEnd): void {
    this.#settle({ kind: 'end', end });
  }

  /** The console failed; ignored when an outcome is already known. */
  fail(error: Error): void {
    this.#settle({ kind: 'error', error });
  }

  /** A known end is not delivered while `pending()` is true; call pendingDone() when it may have turned false. */
  holdEndWhile(pending: () => boolean): void {
    this.#endPending = pending;
  }

  pendingDone(): void {
    this.#deliver();
  }

  /** The consumer closed the stream: it hears nothing more. */
  detach(): void {
    this.#detached = true;
  }

  #settle(outcome: Outcome): void {
    if (this.#outcome) return;
    this.#outcome = outcome;
    this.#deliver();
  }

  #deliver(): void {
    const outcome = this.#outcome;
    if (!outcome || this.#delivered || this.#detached) return;
    if (outcome.kind === 'end' && this.#onEnd && !this.#endPending()) {
      this.#delivered = true;
      this.#onEnd(outcome.end);
    } else if (outcome.kind === 'error' && this.#onError) {
      this.#delivered = true;
      this.#onError(outcome.error);
    }
  }
}
