// How a console session's end is said: a console's own end becomes the link's Close (the
// provider), a Close becomes the error channel's Status (the gateway, the provider's endpoint),
// and a provider's Status becomes a Close again (the per-session upstreams, websocket and SPDY).
import type { CloseMessage } from './schema.js';
import { exitCodeOf, exitCodeStatus, failureStatus, successStatus, type Status } from './status.js';

/** A Close with every field a session's end has (an HTTP-style code and a Status reason). */
export interface SessionClose {
  code: number;
  reason: string;
  message: string;
  exitCode?: number;
}

/** The end of a console whose process exited with 0. */
export const CONSOLE_SUCCESS: SessionClose = { code: 200, reason: 'Success', message: 'console session ended', exitCode: 0 };

/**
 * The Close for a console's end: its exit code when it is a process (0: 200, else 500
 * NonZeroExitCode), or 503 "console closed" for a device console that closed.
 */
export function closeFromConsoleEnd(end: { exitCode?: number; message?: string }): SessionClose {
  if (end.exitCode === undefined) return { code: 503, reason: 'ServiceUnavailable', message: end.message ?? 'console closed' };
  if (end.exitCode === 0) return CONSOLE_SUCCESS;
  return {
    code: 500,
    reason: 'NonZeroExitCode',
    message: end.message ?? `console process exited with code ${end.exitCode}`,
    exitCode: end.exitCode,
  };
}

/** The Status a provider's Close becomes on the user's error channel. */
export function statusFromClose(close: CloseMessage): Status {
  const code = close.code ?? 500;
  if (close.exitCode !== undefined && close.exitCode !== null) {
    return close.exitCode === 0 ? successStatus() : exitCodeStatus(close.exitCode);
  }
  if (code === 200) return successStatus();
  return failureStatus(code, close.message || 'console session ended', close.reason || undefined);
}

/** The Close a provider's error-channel Status stands for. */
export function closeFromStatus(status: Status): CloseMessage {
  const exitCode = exitCodeOf(status);
  if (exitCode !== undefined) return closeFromConsoleEnd({ exitCode, ...(status.message && { message: status.message }) });
  return { code: status.code ?? 500, reason: status.reason ?? '', message: status.message ?? '' };
}
