// A process on a pseudo-terminal as a ConsoleStream. node-pty queues writes itself (no
// backpressure on input). Its output is held here, up to HOLD_LIMIT, while the consumer is
// paused or not subscribed yet, and only beyond that is the pty paused. Output still in a pty
// when its process exits is easily lost, twice over: node-pty destroys the pty 200 ms after the
// exit unless it was read to the end by then (unixTerminal.js, DESTROY_SOCKET_TIMEOUT_MS), and
// Linux answers a read with EIO once no slave fd is open even while it still buffers output
// (beyond the line discipline's 4 KiB). So this stream holds a slave fd of its own, reads the
// pty from the exit on, and lets go of the slave once the pty is quiet: then EIO ends it.
import { closeSync, constants, openSync } from 'node:fs';
import type { ConsoleEnd, ConsoleStream } from '../backend.js';
import { ConsoleOutcome } from './console-outcome.js';
import type { UnixPty } from './node-pty.js';

const EOT = '\x04';
/** Output held for a paused consumer before the pty is paused too. */
const HOLD_LIMIT = 64 * 1024;
/** After the exit, how long the pty must be quiet before the slave is let go. */
const QUIET_MS = 20;

export class PtyConsoleStream implements ConsoleStream {
  readonly #pty: UnixPty;
  readonly #killGraceMs: number;
  readonly #outcome = new ConsoleOutcome();
  #onData: ((chunk: Buffer) => void) | undefined;
  #pausedByConsumer = false;
  /** Output the consumer has not taken yet, oldest first. */
  readonly #held: Buffer[] = [];
  #heldBytes = 0;
  #readingToEnd = false;
  /** Our own slave fd (see the header), until the pty is read to its end. */
  #slave: number | undefined;
  #quietTimer: NodeJS.Timeout | undefined;
  #ptyOpen = true;
  #exited = false;
  #closed = false;
  #killTimer: NodeJS.Timeout | undefined;

  constructor(pty: UnixPty, killGraceMs: number) {
    this.#pty = pty;
    this.#killGraceMs = killGraceMs;
    this.#slave = openSync(pty.ptsName, constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
    // Spawned with `encoding: null`, node-pty emits Buffers (its typings say string).
    pty.onData((chunk) => {
      if (this.#readingToEnd) this.#whenQuiet();
      if (this.#closed) return;
      if (this.#onData && !this.#pausedByConsumer && this.#held.length === 0) this.#onData(chunk as unknown as Buffer);
      else this.#hold(chunk as unknown as Buffer);
    });
    pty.on('close', () => {
      this.#ptyOpen = false;
      this.#releaseSlave();
    });
    // node-pty tells no one of the process's exit until the pty is read to its end, but starts
    // waiting for the pty's 'close' at the exit: from then on, read to the end whatever is held.
    (pty as unknown as NodeJS.EventEmitter).on('newListener', (event: string) => {
      if (event !== 'close' || this.#readingToEnd) return;
      this.#readingToEnd = true;
      this.#pty.resume();
      this.#whenQuiet();
    });
    // node-pty reports exit after the pty's output has been read to its end.
    pty.onExit(({ exitCode, signal }) => {
      this.#exited = true;
      clearTimeout(this.#killTimer);
      this.#outcome.end({ exitCode: signal ? 128 + signal : exitCode });
    });
    // The end follows the last output, held or not.
    this.#outcome.holdEndWhile(() => this.#held.length > 0);
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
  }

  resume(): void {
    this.#pausedByConsumer = false;
    this.#deliverHeld();
  }

  onData(handler: (chunk: Buffer) => void): void {
    this.#onData = handler;
    if (!this.#pausedByConsumer) this.#deliverHeld();
  }

  #hold(chunk: Buffer): void {
    this.#held.push(chunk);
    this.#heldBytes += chunk.length;
    if (this.#heldBytes >= HOLD_LIMIT && !this.#readingToEnd) this.#pty.pause();
  }

  /** Lets go of the slave once no output came for QUIET_MS. */
  #whenQuiet(): void {
    clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => this.#releaseSlave(), QUIET_MS);
  }

  #releaseSlave(): void {
    clearTimeout(this.#quietTimer);
    if (this.#slave === undefined) return;
    closeSync(this.#slave);
    this.#slave = undefined;
  }

  /** Held output, in order, until the consumer pauses again; once all is taken, the pty is read on. */
  #deliverHeld(): void {
    while (this.#held.length > 0 && this.#onData && !this.#pausedByConsumer && !this.#closed) {
      const chunk = this.#held.shift()!;
      this.#heldBytes -= chunk.length;
      this.#onData(chunk);
    }
    if (this.#held.length > 0) return;
    this.#pty.resume();
    this.#outcome.pendingDone();
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
    this.#releaseSlave();
    if (this.#exited) return;
    this.#pty.destroy();
    this.#killTimer = setTimeout(() => this.#pty.kill('SIGKILL'), this.#killGraceMs);
  }
}

/** The kernel keeps a terminal's size in unsigned shorts. */
export function isTerminalDimension(value: number | undefined): value is number {
  return Number.isInteger(value) && value! >= 1 && value! <= 0xffff;
}
