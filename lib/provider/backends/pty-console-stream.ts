// A process on a pseudo-terminal as a ConsoleStream. node-pty queues writes itself (no
// backpressure on input), but its output can be paused.
import type { ConsoleEnd, ConsoleStream } from '../backend.js';
import { ConsoleOutcome } from './console-outcome.js';
import type { UnixPty } from './node-pty.js';

const EOT = '\x04';

export class PtyConsoleStream implements ConsoleStream {
  readonly #pty: UnixPty;
  readonly #killGraceMs: number;
  readonly #outcome = new ConsoleOutcome();
  #onData: ((chunk: Buffer) => void) | undefined;
  #pausedByConsumer = false;
  #ptyOpen = true;
  #exited = false;
  #closed = false;
  #killTimer: NodeJS.Timeout | undefined;

  constructor(pty: UnixPty, killGraceMs: number) {
    this.#pty = pty;
    this.#killGraceMs = killGraceMs;
    // Hold output until the consumer subscribes, so a first prompt is not lost.
    pty.pause();
    // Spawned with `encoding: null`, node-pty emits Buffers (its typings say string).
    pty.onData((chunk) => {
      if (!this.#closed) this.#onData?.(chunk as unknown as Buffer);
    });
    pty.on('close', () => {
      this.#ptyOpen = false;
    });
    // node-pty reports exit after the pty's output has been read to its end.
    pty.onExit(({ exitCode, signal }) => {
      this.#exited = true;
      clearTimeout(this.#killTimer);
      this.#outcome.end({ exitCode: signal ? 128 + signal : exitCode });
    });
  }

  /** Always true: node-pty buffers input it cannot write yet, so there is no drain to wait for. */
  write(chunk: Uint8Array): boolean {
    // Input after the process is gone has nowhere to go (node-pty would report EBADF).
    if (this.#ptyOpen && !this.#exited) this.#pty.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    return true;
  }

  /** Sends ^D, which a terminal turns into end-of-input when it starts a line (as a user typing it). */
  end(): void {
    if (this.#ptyOpen && !this.#exited) this.#pty.write(EOT);
  }

  /** Ignores sizes a terminal cannot have (not a whole number in 1..65535). */
  resize(cols: number, rows: number): void {
    // Once the pty fd is closed its number may belong to another file: never ioctl it then.
    if (!this.#ptyOpen || !isTerminalDimension(cols) || !isTerminalDimension(rows)) return;
    this.#pty.resize(cols, rows);
  }

  pause(): void {
    this.#pausedByConsumer = true;
    this.#pty.pause();
  }

  resume(): void {
    this.#pausedByConsumer = false;
    this.#pty.resume();
  }

  onData(handler: (chunk: Buffer) => void): void {
    this.#onData = handler;
    if (!this.#pausedByConsumer) this.#pty.resume();
  }

  /** Never called: write() never returns false. */
  onDrain(): void {}

  onEnd(handler: (end: ConsoleEnd) => void): void {
    this.#outcome.onEnd(handler);
  }

  onError(handler: (error: Error) => void): void {
    this.#outcome.onError(handler);
  }

  /**
   * Closes the pty, which hangs up the terminal's session (SIGHUP to the process and its
   * foreground job), and kills the process if it is still there after the grace period.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#outcome.detach();
    if (this.#exited) return;
    this.#pty.destroy();
    this.#killTimer = setTimeout(() => this.#pty.kill('SIGKILL'), this.#killGraceMs);
  }
}

/** The kernel keeps a terminal's size in unsigned shorts. */
export function isTerminalDimension(value: number | undefined): value is number {
  return Number.isInteger(value) && value! >= 1 && value! <= 0xffff;
}
