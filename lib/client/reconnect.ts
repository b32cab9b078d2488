// Sessions that survive a gateway going away. When a connection drops without a final Status
// (a killed gateway, a reset, a keepalive timeout), or the gateway ends it with 503 (shutting
// down, or its link to the provider broke), the console is still there: connect again with
// backoff, replaying from the offset after the last byte shown, so nothing is printed twice.
// A normal end, the console's exit code and any other Status end the session as before.
import type { ChannelSocket } from './channel-socket.js';
import { Backoff, RECONNECT_BACKOFF } from '../kube/backoff.js';
import { isEscapeChunk } from './escape-key.js';
import { ExecSession, type ExecSessionEnd, type ExecSessionOptions } from './exec-session.js';
import { ExecError } from './failures.js';

export interface Reconnector {
  /** Opens the console again; `replayFrom` is the offset to replay from, when known. */
  connect(replayFrom: number | undefined): Promise<ChannelSocket>;
  /** Line end for notices: "\r\n" while the terminal is raw. */
  newline: string;
}

const INTERRUPTING_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Runs sessions on `first`, then on each reconnection, until one ends for good. */
export async function runSessions(first: ChannelSocket, options: ExecSessionOptions, reconnector?: Reconnector): Promise<ExecSessionEnd> {
  let socket = first;
  for (;;) {
    const session = new ExecSession(socket, options);
    const end = await session.run();
    const reason = dropReason(end);
    if (!reconnector || reason === undefined) return end;
    const notice = (text: string): void => void options.io.stderr.write(`[ironcore-console] ${text}${reconnector.newline}`);
    options.io.stderr.write(reconnector.newline);
    notice(`connection lost: ${reason}; reconnecting…`);
    const next = await reconnect(reconnector, session.outputOffset, options);
    if ('end' in next) return next.end;
    notice('reconnected');
    socket = next.socket;
  }
}

/** Why the connection is worth opening again, or undefined when the session is over. */
export function dropReason(end: ExecSessionEnd): string | undefined {
  switch (end.kind) {
    case 'lost':
      return end.reason;
    case 'hangup':
      return 'the gateway closed the connection without a status';
    case 'status':
      return end.status.code === 503 ? end.status.message || 'the gateway is unavailable' : undefined;
    default:
      return undefined;
  }
}

/**
 * Tries until a connection opens, a refusal says retrying is pointless (401, 403, 404: thrown
 * as they are), or time is up. Signals, and the escape key on a terminal, leave meanwhile.
 */
async function reconnect(
  reconnector: Reconnector,
  replayFrom: number | undefined,
  options: ExecSessionOptions,
): Promise<{ socket: ChannelSocket } | { end: ExecSessionEnd }> {
  const interrupt = watchInterrupts(options);
  try {
    const backoff = new Backoff(RECONNECT_BACKOFF);
    let lastFailure = 'no attempt finished';
    for (;;) {
      const delay = backoff.next();
      if (delay === undefined) {
        throw new ExecError('unreachable', `gave up reconnecting after ${RECONNECT_BACKOFF.giveUpAfterMs! / 1000}s: ${lastFailure}`);
      }
      const waited = await Promise.race([new Promise<undefined>((resolve) => setTimeout(resolve, delay)), interrupt.ended]);
      if (waited) return { end: waited };
      const attempt = reconnector.connect(replayFrom);
      try {
        const outcome = await Promise.race([attempt.then((socket) => ({ socket })), interrupt.ended.then((end) => ({ end }))]);
        // Left while connecting: a connection that opens after all is closed at once.
        if ('end' in outcome) attempt.then((socket) => socket.ws.terminate(), () => {});
        return outcome;
      } catch (error) {
        if (!(error instanceof ExecError) || error.kind !== 'unreachable') throw error;
        lastFailure = error.message;
      }
    }
  } finally {
    interrupt.stop();
  }
}

/**
 * Between connections nothing reads stdin but this: on a terminal it waits for the escape key
 * and drops other keys (typed blind, they should not reach the console later); piped input
 * stays paused, so the next connection gets all of it.
 */
function watchInterrupts(options: ExecSessionOptions): { ended: Promise<ExecSessionEnd>; stop(): void } {
  const stops: (() => void)[] = [];
  const ended = new Promise<ExecSessionEnd>((resolve) => {
    for (const signal of INTERRUPTING_SIGNALS) {
      const handler = (): void => resolve({ kind: 'signal', signal });
      process.on(signal, handler);
      stops.push(() => process.removeListener(signal, handler));
    }
    const { escapeKey } = options;
    if (escapeKey === undefined) return;
    const { stdin } = options.io;
    const onData = (chunk: Buffer): void => {
      if (isEscapeChunk(chunk, escapeKey)) resolve({ kind: 'escape' });
    };
    stdin.on('data', onData);
    stdin.resume();
    stops.push(() => {
      stdin.removeListener('data', onData);
      stdin.pause();
    });
  });
  return { ended, stop: () => stops.forEach((stop) => stop()) };
}
