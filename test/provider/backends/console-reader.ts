// Collects a console's output as text and waits for patterns in it, with a deadline so a
// console that never says the expected thing fails the test instead of hanging it.
import type { ConsoleEnd, ConsoleStream } from '../../../lib/provider/backend.js';

export class ConsoleReader {
  #text = '';
  #check: (() => void) | undefined;
  readonly ended: Promise<ConsoleEnd>;

  constructor(stream: ConsoleStream) {
    stream.onData((chunk) => {
      this.#text += chunk.toString('latin1');
      this.#check?.();
    });
    this.ended = new Promise((resolve, reject) => {
      stream.onEnd(resolve);
      stream.onError(reject);
    });
  }

  get text(): string {
    return this.#text;
  }

  /** Resolves with the first match of `pattern` in the output from `from` on. */
  waitFor(pattern: RegExp, timeoutMs = 5000, from = 0): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#check = undefined;
        reject(new Error(`no ${pattern} in console output within ${timeoutMs} ms; got ${JSON.stringify(this.#text.slice(from))}`));
      }, timeoutMs);
      this.#check = () => {
        const match = pattern.exec(this.#text.slice(from));
        if (!match) return;
        clearTimeout(timer);
        this.#check = undefined;
        resolve(match);
      };
      this.#check();
    });
  }
}
