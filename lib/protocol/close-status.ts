// How a console session's end crosses between the link's Close message and the error channel's
// Status, both ways: the gateway turns a provider's Close into the user's Status, and the
// per-session upstreams (websocket, SPDY) turn a provider's Status back into a Close.
import type { CloseMessage } from './schema.js';
import { exitCodeOf, exitCodeStatus, failureStatus, successStatus, type Status } from './status.js';

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
  if (exitCode !== undefined) return { code: exitCode === 0 ? 200 : 500, reason: status.reason ?? '', message: status.message ?? '', exitCode };
  return { code: status.code ?? 500, reason: status.reason ?? '', message: status.message ?? '' };
}
