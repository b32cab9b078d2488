// What a shared console knows of a session, whichever route it came by (a link stream or the
// per-machine websocket), and how a session ends.
import type { SessionClose } from '../protocol/index.js';
import { ConsoleError } from './backend.js';

/** How a session wants to attach. */
export interface AttachOptions {
  /** Take the write lock even when another session holds it. */
  takeover: boolean;
  /** Never take the write lock (the session's stdin is refused with a notice). */
  readOnly: boolean;
  /** The session sends no stdin at all; it attaches as a viewer, like readOnly. */
  stdin: boolean;
  /** Send the console's scrollback before live output (ignored when replayFrom is given). */
  replay: boolean;
  /**
   * Replay the scrollback from this console output offset on: a reconnecting client passes the
   * offset after the last byte it showed. Older than the scrollback: all of it; beyond the
   * console's output so far (the console was reopened since, and counts from 0 again): all of it.
   */
  replayFrom?: number;
  /** Say the session's role in-band (ROLE) instead of the text notices a plain client reads. */
  announceRole?: boolean;
}

/** Why a session ended, shaped as the link's Close message (an HTTP-style code and a Status reason). */
export type SessionOutcome = SessionClose;

export interface ConsoleSession {
  /** Names the session in logs (never console bytes). */
  readonly label: string;
  /** The session is attached; called before any output. */
  attached(attachment: Attachment): void;
  /** Console output (channel 1) or a notice for the user (channel 2). */
  output(channel: number, chunk: Buffer): void;
  /** Input that the console took as 'pending' has drained. */
  inputDrained(): void;
  /** The session is over: the console ended, could not be opened, or dropped it. Called once. */
  ended(outcome: SessionOutcome): void;
}

/** What write() did with a session's input. */
export type WriteResult = 'written' | 'pending' | 'refused';

/** A session's handle on the console it is attached to. */
export interface Attachment {
  /** Whether the session holds the write lock. */
  readonly writer: boolean;
  /** The console output offset of the first byte of output this session gets (its replay's, or live output's). */
  readonly outputOffset: number;
  /** 'pending': the console buffered it and is full; inputDrained() follows. 'refused': a viewer's input, dropped with a notice. */
  write(bytes: Uint8Array): WriteResult;
  /** stdin EOF. */
  endInput(): void;
  /** Only the writer's resizes reach the console, so viewers cannot fight over its size. */
  resize(cols: number, rows: number): void;
  /** The session's outgoing queue is over (true) or back under (false) its high watermark. */
  setBlocked(blocked: boolean): void;
  /** Leaves the console (idempotent); the last session out closes it. */
  detach(): void;
}

export const SHUTTING_DOWN: SessionOutcome = { code: 503, reason: 'ServiceUnavailable', message: 'provider shutting down' };

/** A ConsoleError keeps its code; anything else is an internal error whose details stay in the log. */
export function outcomeOfError(error: unknown): SessionOutcome {
  if (error instanceof ConsoleError) return { code: error.code, reason: error.reason, message: error.message };
  return { code: 500, reason: 'InternalError', message: 'internal error in the console backend' };
}

export function badRequest(message: string): SessionOutcome {
  return { code: 400, reason: 'BadRequest', message };
}
