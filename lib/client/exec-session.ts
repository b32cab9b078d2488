// One live console session: local stdin to the console, the console's output to stdout/stderr
// and the output sinks, terminal sizes as they change, keepalive pings, and the ways it ends
// (the server's Status, the escape key, idle output, a signal, a lost connection).
import type { WriteStream } from 'node:tty';
import { STDERR, STDOUT, type Status, type TerminalSize } from '../protocol/index.js';
import type { ChannelSocket } from './channel-socket.js';
import { isEscapeChunk } from './escape-key.js';
import { startKeepalive } from './keepalive.js';
import type { SessionRole } from './session-role.js';
import { redrawSizes, sizeOf, watchSize } from './terminal-size.js';

export interface SessionIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** Where output goes besides the terminal: a log, a recording. */
export interface OutputSink {
  output(data: Uint8Array): void;
  resize?(size: TerminalSize): void;
  close(): void;
}

export interface ExecSessionOptions {
  io: SessionIo;
  /** Leave when this byte arrives alone in a read; only for a terminal in raw mode. */
  escapeKey?: number;
  /** Send this terminal's size at the start and whenever it changes. */
  sizeFrom?: WriteStream;
  /** End the session after this long without output. */
  idleExitMs?: number;
  /**
   * After stdin's EOF, end the session once the console has been quiet this long (unless
   * idleExitMs says otherwise): piped input ends the run by itself. Undefined: wait for the end.
   */
  quietAfterEofMs?: number;
  /** The role announcements, and whether input was refused; shared by every connection of a run. */
  role: SessionRole;
  keepaliveMs: number;
  sinks: OutputSink[];
}

export type ExecSessionEnd =
  | { kind: 'status'; status: Status }
  | { kind: 'escape' | 'idle' | 'closed' }
  /** The server closed the connection in order, but without a Status. */
  | { kind: 'hangup' }
  | { kind: 'signal'; signal: NodeJS.Signals }
  | { kind: 'lost'; reason: string };

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Close codes of an orderly end (1005: a close frame without a code). */
const ORDERLY_CLOSE_CODES = [1000, 1001, 1005];

export class ExecSession {
  private readonly cleanups: (() => void)[] = [];
  private resolveEnd: (end: ExecSessionEnd) => void = () => {};
  private ended = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private stdinHeld = false;
  private stdinEnded = false;
  private blockedOutputs = 0;
  /** Console output received (stdout only: notices on stderr are not console output). */
  private stdoutBytes = 0;

  constructor(
    private readonly socket: ChannelSocket,
    private readonly options: ExecSessionOptions,
  ) {}

  /** Resolves once, when the session is over and everything it started is stopped. */
  run(): Promise<ExecSessionEnd> {
    const end = new Promise<ExecSessionEnd>((resolve) => (this.resolveEnd = resolve));
    this.watchSignals();
    this.watchOutputErrors();
    this.cleanups.push(
      startKeepalive(this.socket.ws, this.options.keepaliveMs, (silentMs) =>
        this.finish({ kind: 'lost', reason: `no answer to keepalive pings for ${silentMs / 1000}s` }),
      ),
    );
    if (this.options.sizeFrom) this.followSize(this.options.sizeFrom);
    this.forwardStdin();
    this.resetIdleTimer();
    // Last: queued events (even the close) are delivered right here.
    this.socket.listen({
      output: (channel, data) => this.output(channel, data),
      status: (status) => this.finish({ kind: 'status', status }),
      role: (event) => this.options.role.event(event),
      closed: (code, error) =>
        this.finish(
          ORDERLY_CLOSE_CODES.includes(code)
            ? { kind: 'hangup' }
            : { kind: 'lost', reason: error?.message ?? `the connection closed unexpectedly (code ${code})` },
        ),
    });
    return end;
  }

  /** The console output offset after the last stdout byte received, when the gateway gave a start. */
  get outputOffset(): number | undefined {
    return this.socket.outputOffset === undefined ? undefined : this.socket.outputOffset + this.stdoutBytes;
  }

  private output(channel: number, data: Buffer): void {
    if (this.ended) return;
    if (channel === STDOUT) this.stdoutBytes += data.length;
    this.resetIdleTimer();
    for (const sink of this.options.sinks) sink.output(data);
    const out = channel === STDERR ? this.options.io.stderr : this.options.io.stdout;
    if (out.write(data)) return;
    // A slow reader (a pager, a pipe) holds the socket, so the gateway's flow control holds the console.
    if (this.blockedOutputs++ === 0) this.socket.ws.pause();
    out.once('drain', () => {
      if (--this.blockedOutputs === 0) this.socket.ws.resume();
    });
  }

  private forwardStdin(): void {
    const { stdin } = this.options.io;
    const { escapeKey } = this.options;
    const release = (): void => {
      if (!this.stdinHeld) return;
      this.stdinHeld = false;
      stdin.resume();
    };
    const onData = (chunk: Buffer): void => {
      if (escapeKey !== undefined && isEscapeChunk(chunk, escapeKey)) return this.finish({ kind: 'escape' });
      if (this.socket.sendStdin(chunk, release)) return;
      this.stdinHeld = true;
      stdin.pause();
    };
    const onEnd = (): void => {
      if (this.stdinEnded) return;
      this.stdinEnded = true;
      this.options.role.endInput();
      this.socket.closeStdin();
      this.resetIdleTimer();
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    // A read error (the terminal hung up) ends input as EOF does.
    stdin.on('error', onEnd);
    // The session before this one (on an earlier connection) paused it.
    stdin.resume();
    this.cleanups.push(() => {
      stdin.removeListener('data', onData);
      stdin.removeListener('end', onEnd);
      stdin.removeListener('error', onEnd);
      // A paused stdin no longer keeps the process alive.
      stdin.pause();
    });
  }

  private followSize(stream: WriteStream): void {
    const size = sizeOf(stream);
    if (size) for (const step of redrawSizes(size)) this.socket.sendResize(step);
    this.cleanups.push(
      watchSize(stream, (changed) => {
        this.socket.sendResize(changed);
        for (const sink of this.options.sinks) sink.resize?.(changed);
      }),
    );
  }

  private watchSignals(): void {
    for (const signal of SIGNALS) {
      const handler = (): void => this.finish({ kind: 'signal', signal });
      process.on(signal, handler);
      this.cleanups.push(() => process.removeListener(signal, handler));
    }
  }

  /** stdout closed under us (`| head`): nobody reads the console any more. */
  private watchOutputErrors(): void {
    for (const stream of [this.options.io.stdout, this.options.io.stderr]) {
      const handler = (): void => this.finish({ kind: 'closed' });
      stream.on('error', handler);
      this.cleanups.push(() => stream.removeListener('error', handler));
    }
  }

  private resetIdleTimer(): void {
    const quietMs = this.options.idleExitMs ?? (this.stdinEnded ? this.options.quietAfterEofMs : undefined);
    if (quietMs === undefined) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.finish({ kind: 'idle' }), quietMs);
  }

  private finish(end: ExecSessionEnd): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.idleTimer);
    for (const cleanup of this.cleanups.reverse()) cleanup();
    if (end.kind === 'lost') {
      this.socket.ws.terminate();
    } else if (this.socket.open) {
      // Read again, or the server's close frame would wait behind a blocked output.
      this.socket.ws.resume();
      this.socket.ws.close(1000);
    }
    this.resolveEnd(end);
  }
}
