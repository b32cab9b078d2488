// One console device shared by the sessions attached to it: output fans out to all of them
// (after each one's scrollback replay), one session at a time holds the write lock, and the
// console is paused while any session cannot keep up, except that a viewer stalled for too
// long is dropped so that it cannot stop the console for everyone. Output bytes are counted
// from the console's open (byte k has offset k), so a reconnecting session can ask for the
// replay from where it left off (replayStart). When the writer leaves, the lock passes to the
// session that has waited longest. A session that asked (announceRole) is told its role at
// attach and on every change, and of refused input, on the ROLE channel; others get the text
// notices a person reads on stderr.
import type { Logger } from 'pino';
import { ROLE, closeFromConsoleEnd, type ConsoleRole } from '../protocol/index.js';
import type { ConsoleStream } from './backend.js';
import { Scrollback } from './scrollback.js';
import {
  outcomeOfError,
  type Attachment,
  type ConsoleSession,
  type AttachOptions,
  type SessionOutcome,
  type WriteResult,
} from './session.js';

export interface SharedConsoleOptions {
  /** Bytes of output replayed to sessions that attach later; 0 keeps none. */
  scrollbackBytes: number;
  /** A viewer whose queue stays over its high watermark this long is dropped. */
  stallTimeoutMs: number;
  /**
   * Whether a writer's stdin EOF half-closes the console's input. Only when the console has one
   * session (sharing 'none' or 'exclusive'): one viewer's EOF must not end a shared device's input.
   */
  halfCloseInput: boolean;
  /**
   * How long the console stays open, still recording scrollback, after its last session left:
   * a client that reconnects in time (its gateway went away) misses nothing. 0 closes at once.
   */
  lingerMs: number;
  logger: Logger;
  /** Called once when the console has no sessions left or has ended; it is closed by then. */
  onGone: () => void;
}

const NOTICE_INTERVAL_MS = 1000;

const NOTICES = {
  lockHeld: 'console is read-only: another session holds the write lock; reconnect with --takeover to take it',
  readOnly: 'console is read-only: this session was opened read-only',
  noStdin: 'console is read-only: this session was opened without stdin',
  inputClosed: 'console input is closed',
  takenOver: 'another session took over the write lock; this session is now read-only',
};

function notice(text: string): Buffer {
  return Buffer.from(`\r\n[ironcore-console] ${text}\r\n`);
}

/**
 * The console output offset a joining session's replay starts at; the console's current offset
 * when it gets no replay. `replayFrom` is clamped to what is kept; one beyond the console's output
 * so far can only come from a client of an earlier console on this machine (a reopened console
 * counts from 0 again), so it gets everything kept, and an outputOffset below its replayFrom
 * tells it so. Without replayFrom: everything kept, or nothing with noReplay.
 */
export function replayStart(kept: Pick<Scrollback, 'startOffset' | 'endOffset'>, options: Pick<AttachOptions, 'replay' | 'replayFrom'>): number {
  const { replayFrom } = options;
  if (replayFrom === undefined) return options.replay ? kept.startOffset : kept.endOffset;
  if (replayFrom > kept.endOffset) return kept.startOffset;
  return Math.max(replayFrom, kept.startOffset);
}

export class SharedConsole {
  private readonly members = new Set<Member>();
  private readonly blocked = new Set<Member>();
  private readonly scrollback: Scrollback;
  private writer: Member | undefined;
  private paused = false;
  private inputClosed = false;
  private gone = false;
  /** Ending every session: the lock goes to nobody on the way out. */
  private ending = false;
  private lingerTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: ConsoleStream,
    private readonly options: SharedConsoleOptions,
  ) {
    this.scrollback = new Scrollback(options.scrollbackBytes);
    stream.onData((chunk) => this.fanOut(chunk));
    stream.onDrain(() => {
      for (const member of this.members) member.drained();
    });
    stream.onEnd((end) => this.end(closeFromConsoleEnd(end)));
    stream.onError((error) => {
      options.logger.warn({ err: error }, 'console failed');
      this.end(outcomeOfError(error));
    });
  }

  /**
   * Attaches `session`: it gets attached(), then the scrollback from its replay start (see
   * replayStart), then live output, so it gets every byte from that offset on exactly once.
   */
  join(session: ConsoleSession, options: AttachOptions): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const from = replayStart(this.scrollback, options);
    const member = new Member(this, session, options, from);
    this.members.add(member);
    const previous = this.writer;
    if (member.mayWrite && (previous === undefined || options.takeover)) this.writer = member;
    session.attached(member);
    member.announce();
    if (previous && this.writer !== previous) {
      previous.announce(NOTICES.takenOver);
      this.updateStallTimer(previous);
    }
    if (from < this.scrollback.endOffset) session.output(1, this.scrollback.snapshot(from));
  }

  /** Ends every session with `outcome` and closes the console. */
  shutdown(outcome: SessionOutcome): void {
    this.end(outcome);
  }

  isWriter(member: Member): boolean {
    return this.writer === member;
  }

  write(member: Member, bytes: Uint8Array): WriteResult {
    if (this.inputClosed) return member.refuse(NOTICES.inputClosed);
    if (this.writer === undefined && member.mayWrite) this.passLock(member); // a free lock goes to the first who types
    if (this.writer !== member) return member.refuse(member.readOnlyNotice ?? NOTICES.lockHeld);
    return this.stream.write(bytes) ? 'written' : 'pending';
  }

  endInput(member: Member): void {
    if (this.writer !== member) return;
    if (this.options.halfCloseInput) {
      this.inputClosed = true;
      this.stream.end();
    } else {
      this.passLock(this.longestWaiting(member));
      member.announce();
    }
  }

  resize(member: Member, cols: number, rows: number): void {
    if (this.writer === member) this.stream.resize?.(cols, rows);
  }

  setBlocked(member: Member, blocked: boolean): void {
    if (!this.members.has(member)) return;
    if (blocked) this.blocked.add(member);
    else this.blocked.delete(member);
    this.updateStallTimer(member);
    this.updateFlow();
  }

  /** Removes `member`; `outcome` is told to its session when the console drops it. */
  remove(member: Member, outcome?: SessionOutcome): void {
    if (!this.members.delete(member)) return;
    member.clearStallTimer();
    this.blocked.delete(member);
    if (this.writer === member) this.passLock(this.ending ? undefined : this.longestWaiting(member));
    if (outcome) member.session.ended(outcome);
    if (this.members.size === 0 && this.options.lingerMs > 0 && !this.gone) this.linger();
    else if (this.members.size === 0) this.release();
    else this.updateFlow();
  }

  /** Gives the lock to `member` (none: nobody holds it) and tells it. */
  private passLock(member: Member | undefined): void {
    this.writer = member;
    if (!member) return;
    member.announce();
    this.updateStallTimer(member);
  }

  /** The session that may write and has been attached longest, other than `leaving`. */
  private longestWaiting(leaving: Member): Member | undefined {
    for (const member of this.members) if (member !== leaving && member.mayWrite) return member;
    return undefined;
  }

  private fanOut(chunk: Buffer): void {
    this.scrollback.append(chunk);
    for (const member of this.members) member.session.output(1, chunk);
  }

  private updateFlow(): void {
    const shouldPause = this.blocked.size > 0;
    if (shouldPause === this.paused || this.gone) return;
    this.paused = shouldPause;
    if (shouldPause) this.stream.pause();
    else this.stream.resume();
  }

  private updateStallTimer(member: Member): void {
    if (this.blocked.has(member) && this.writer !== member) {
      member.startStallTimer(this.options.stallTimeoutMs);
    } else {
      member.clearStallTimer();
    }
  }

  private end(outcome: SessionOutcome): void {
    if (this.gone) return;
    this.ending = true;
    for (const member of [...this.members]) this.remove(member, outcome);
    this.release();
  }

  /** No sessions: keep reading into the scrollback for a while, then close. */
  private linger(): void {
    this.updateFlow();
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      if (this.members.size === 0) this.release();
    }, this.options.lingerMs);
    this.lingerTimer.unref();
  }

  private release(): void {
    if (this.gone) return;
    clearTimeout(this.lingerTimer);
    this.gone = true;
    this.stream.close();
    this.options.onGone();
  }
}

/** One session's attachment to a SharedConsole. */
class Member implements Attachment {
  private lastNoticeAt = -Infinity;
  private waitingForDrain = false;
  private stallTimer: NodeJS.Timeout | undefined;
  /** The role last announced (announceRole only). */
  private announced: ConsoleRole | undefined;
  private readonly announceRole: boolean;
  readonly mayWrite: boolean;
  /** Why this session can never write, when that is so. */
  readonly readOnlyNotice: string | undefined;

  constructor(
    private readonly console: SharedConsole,
    readonly session: ConsoleSession,
    options: AttachOptions,
    readonly outputOffset: number,
  ) {
    this.readOnlyNotice = !options.stdin ? NOTICES.noStdin : options.readOnly ? NOTICES.readOnly : undefined;
    this.mayWrite = this.readOnlyNotice === undefined;
    this.announceRole = options.announceRole ?? false;
  }

  get role(): ConsoleRole {
    return this.writer ? 'writer' : this.mayWrite ? 'viewer' : 'read-only';
  }

  /**
   * Tells the session its role when it changed, on the ROLE channel when it asked; otherwise
   * `notice`, when given, as text.
   */
  announce(notice?: string): void {
    if (!this.announceRole) {
      if (notice) this.notify(notice, true);
      return;
    }
    const role = this.role;
    if (role === this.announced) return;
    this.announced = role;
    this.session.output(ROLE, Buffer.from(role));
  }

  get writer(): boolean {
    return this.console.isWriter(this);
  }

  write(bytes: Uint8Array): WriteResult {
    const result = this.console.write(this, bytes);
    if (result === 'pending') this.waitingForDrain = true;
    return result;
  }

  endInput(): void {
    this.console.endInput(this);
  }

  resize(cols: number, rows: number): void {
    this.console.resize(this, cols, rows);
  }

  setBlocked(blocked: boolean): void {
    this.console.setBlocked(this, blocked);
  }

  detach(): void {
    this.console.remove(this);
  }

  drained(): void {
    if (!this.waitingForDrain) return;
    this.waitingForDrain = false;
    this.session.inputDrained();
  }

  /** Refuses input with a notice, at most one a second. */
  refuse(text: string): WriteResult {
    if (this.announceRole) {
      if (this.mayNotify()) this.session.output(ROLE, Buffer.from('input-refused'));
    } else {
      this.notify(text, false);
    }
    return 'refused';
  }

  /** A notice on channel 2; `always` skips (and does not count toward) the once-a-second limit meant for refusals. */
  notify(text: string, always: boolean): void {
    if (always || this.mayNotify()) this.session.output(2, notice(text));
  }

  /** At most one refusal notice a second. */
  private mayNotify(): boolean {
    const now = performance.now();
    if (now - this.lastNoticeAt < NOTICE_INTERVAL_MS) return false;
    this.lastNoticeAt = now;
    return true;
  }

  startStallTimer(timeoutMs: number): void {
    if (this.stallTimer) return;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      const seconds = Math.round(timeoutMs / 100) / 10;
      this.console.remove(this, {
        code: 504,
        reason: 'Timeout',
        message: `console viewer closed: it read no output for ${seconds}s, and a stalled viewer must not stop the console for others`,
      });
    }, timeoutMs);
    this.stallTimer.unref();
  }

  clearStallTimer(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }
}
