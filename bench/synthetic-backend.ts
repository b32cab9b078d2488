// A ConsoleBackend for benchmarks: consoles that cost next to nothing, so the bench measures
// the stack rather than a shell. What each console does is read from its machine's name
// (bench/workload.ts): `echo` prints a prompt and echoes input; `bulk` prints a given number
// of bytes in messages of a given size as fast as the provider lets it, honouring pause().
import { NotFoundError, type ConsoleBackend, type ConsoleEnd, type ConsoleStream } from '../lib/provider/index.js';
import { PROMPT, patternSlice, workloadOf, type Workload } from './workload.js';

/** Output a bulk console emits per event loop turn, as a fast device delivers a read's worth at a time. */
const BULK_BYTES_PER_TURN = 256 * 1024;

export interface SyntheticBackend extends ConsoleBackend {
  /** Consoles opened and not yet closed: a session's console lives until the provider tore the session down. */
  readonly liveConsoles: number;
}

export function createSyntheticBackend(): SyntheticBackend {
  const live = new Set<SyntheticConsole>();
  return {
    async open(request) {
      const workload = workloadOf(request.machine);
      if (!workload) throw new NotFoundError(`machine ${request.machine} has no synthetic console (expected echo-* or bulk-*)`);
      const console = new SyntheticConsole(workload, () => live.delete(console));
      live.add(console);
      return console;
    },
    get liveConsoles() {
      return live.size;
    },
  };
}

class SyntheticConsole implements ConsoleStream {
  private dataHandler: ((chunk: Buffer) => void) | undefined;
  private endHandler: (end: ConsoleEnd) => void = () => {};
  private paused = false;
  private closed = false;
  /** Output held while paused. */
  private held: Buffer[] = [];
  private bulkStarted = false;
  private bulkSent = 0;
  private pumpScheduled = false;

  constructor(
    private readonly workload: Workload,
    private readonly onClose: () => void,
  ) {}

  write(chunk: Uint8Array): boolean {
    if (this.closed) return true;
    if (this.workload.kind === 'echo') {
      // A copy: the caller's buffer may be a view into a socket chunk it reuses.
      const echo = Buffer.from(chunk);
      queueMicrotask(() => this.emit(echo));
    } else if (!this.bulkStarted) {
      this.bulkStarted = true;
      this.schedulePump();
    }
    return true;
  }

  end(): void {
    if (this.workload.kind === 'echo') queueMicrotask(() => this.finish());
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const held = this.held;
    this.held = [];
    for (const chunk of held) this.emit(chunk);
    if (this.bulkStarted) this.schedulePump();
  }

  onData(handler: (chunk: Buffer) => void): void {
    const first = this.dataHandler === undefined;
    this.dataHandler = handler;
    if (first && this.workload.kind === 'echo') queueMicrotask(() => this.emit(PROMPT));
  }

  /** Never called: write() never returns false. */
  onDrain(): void {}

  onEnd(handler: (end: ConsoleEnd) => void): void {
    this.endHandler = handler;
  }

  /** Never called: a synthetic console does not fail. */
  onError(): void {}

  close(): void {
    this.closed = true;
    this.held = [];
    this.onClose();
  }

  private emit(chunk: Buffer): void {
    if (this.closed) return;
    if (this.paused) this.held.push(chunk);
    else this.dataHandler?.(chunk);
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.closed) return;
    this.pumpScheduled = true;
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.pumpScheduled = false;
    if (this.workload.kind !== 'bulk') return;
    const { messageBytes, totalBytes } = this.workload;
    const turnEnd = Math.min(totalBytes, this.bulkSent + BULK_BYTES_PER_TURN);
    // pause() may be called from inside the handler: the loop stops at once.
    while (!this.paused && !this.closed && this.bulkSent < turnEnd) {
      const size = Math.min(messageBytes, totalBytes - this.bulkSent);
      const chunk = patternSlice(this.bulkSent, size);
      this.bulkSent += size;
      this.dataHandler?.(chunk);
    }
    if (this.bulkSent >= totalBytes) this.finish();
    else if (!this.paused) this.schedulePump();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.endHandler({ exitCode: 0 });
  }
}
