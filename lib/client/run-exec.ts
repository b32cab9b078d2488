// `exec` from start to end: check the request, open the output files, connect, run the session
// with the terminal in raw mode when there is one, and turn how it ended into an exit code.
// Without a terminal it suits a script: no replay of other sessions' output unless asked, the
// run ends by itself once stdin is done and the console has gone quiet, and input that a
// shared console refused makes the exit code INPUT_REFUSED_EXIT_CODE.
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadStream } from 'node:tty';
import { exitCodeOf } from '../protocol/index.js';
import { AsciicastRecorder } from './asciicast.js';
import { connectExec } from './connect.js';
import { describeEscapeKey } from './escape-key.js';
import type { OutputSink, ExecSessionEnd, SessionIo, ExecSessionOptions } from './exec-session.js';
import { execUrl } from './exec-url.js';
import { ExecError, connectionLost } from './failures.js';
import { KEEPALIVE_INTERVAL_MS } from './keepalive.js';
import { OutputFile } from './output-file.js';
import { RawModeGuard } from './raw-mode.js';
import { runSessions, type Reconnector } from './reconnect.js';
import { INPUT_REFUSED_EXIT_CODE, SessionRole } from './session-role.js';
import type { ConnectionSettings } from './settings.js';
import { sizeOf, sizeSource } from './terminal-size.js';

/** One console session, as `ironcore-console exec` runs it. */
export interface ExecOptions {
  /** Where and as whom (resolveConnection). */
  connection: ConnectionSettings;
  /** The Machine in connection.namespace. */
  machine: string;
  /** Ask for a terminal (default: whether stdin is one). A terminal on stdin then goes raw. */
  tty?: boolean;
  /** Attach as a viewer: stdin=false and readOnly=true. */
  readOnly?: boolean;
  /** Take the console's write lock from whoever holds it. */
  takeover?: boolean;
  /** Replay the console's recent output first (default: when stdout is a terminal). */
  replay?: boolean;
  /** The byte that leaves, in raw mode (see parseEscapeKey); undefined: none. */
  escapeKey?: number;
  /** Leave after this long without output (also after stdin's EOF, instead of EOF_QUIET_GRACE_MS). */
  idleExitMs?: number;
  /** Append the session's output to this file. */
  logFile?: string;
  /** Record the session as an asciicast v2 file. */
  recordFile?: string;
  /** Connect again when the gateway goes away (default: with a terminal). */
  reconnect?: boolean;
  /** Websocket ping interval, so idle proxies keep the connection. */
  keepaliveMs?: number;
  /** The session's terminal; default process.stdin, stdout and stderr. */
  io?: SessionIo;
}

const DEFAULT_SIZE = { cols: 80, rows: 24 };

/** Without a terminal: after stdin's EOF, leave once the console has been quiet this long. */
export const EOF_QUIET_GRACE_MS = 2000;

/** How long the banner waits for the gateway to say the session's role (an older one never does). */
const ROLE_WAIT_MS = 1000;

/** Resolves with the exit code: the console's own, 0 when the user left, 128+n for signal n. */
export async function runExec(options: ExecOptions): Promise<number> {
  const io = options.io ?? { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  const { connection, machine, readOnly = false, takeover = false } = options;
  if (readOnly && takeover) throw new ExecError('usage', '--read-only and --takeover exclude each other');
  const tty = options.tty ?? Boolean(io.stdin.isTTY);
  const noReplay = !(options.replay ?? Boolean(io.stdout.isTTY));
  // announceOffset: a reconnection resumes where this session's output left off. announceRole: the banner and notices say it.
  const query = { tty, stdin: !readOnly, takeover, readOnly, noReplay, announceOffset: true, announceRole: true };
  const url = execUrl(connection.server, connection.namespace, machine, query);
  const context = { namespace: connection.namespace, machine, gateway: url.host };
  const target = `${connection.namespace}/${machine}`;
  const terminal = tty && io.stdin.isTTY ? new RawModeGuard(io.stdin as ReadStream) : undefined;
  const sizeFrom = tty ? sizeSource(io.stdout, io.stderr) : undefined;
  const newline = terminal ? '\r\n' : '\n';
  const reconnector: Reconnector | undefined =
    (options.reconnect ?? terminal !== undefined)
      ? {
          // Not takeover again: whoever took the write lock while we were away keeps it.
          connect: (replayFrom) =>
            connectExec(connection, execUrl(connection.server, connection.namespace, machine, { ...query, takeover: false, replayFrom }), context),
          newline,
        }
      : undefined;

  const sinks = openSinks(options, (sizeFrom && sizeOf(sizeFrom)) ?? DEFAULT_SIZE, target);
  const escapeName = terminal && options.escapeKey !== undefined ? describeEscapeKey(options.escapeKey) : undefined;
  const role = new SessionRole((text) => void io.stderr.write(`[ironcore-console] ${text}${newline}`), escapeName);
  try {
    const socket = await connectExec(connection, url, context);
    if (terminal) {
      role.role = await Promise.race([socket.firstRole, sleep(ROLE_WAIT_MS, undefined, { ref: false })]);
      io.stderr.write(`Connected to ${target}${role.describe(role.role)}. ${escapeHint(options.escapeKey)}\r\n`);
    }
    const sessionOptions: ExecSessionOptions = {
      io,
      escapeKey: terminal ? options.escapeKey : undefined,
      sizeFrom,
      idleExitMs: options.idleExitMs,
      // A read-only run's stdin is not what it is for: its end does not end the watching.
      quietAfterEofMs: terminal || readOnly ? undefined : EOF_QUIET_GRACE_MS,
      role,
      keepaliveMs: options.keepaliveMs ?? KEEPALIVE_INTERVAL_MS,
      sinks,
    };
    terminal?.enter();
    let end: ExecSessionEnd;
    try {
      end = await runSessions(socket, sessionOptions, reconnector);
    } finally {
      terminal?.restore();
    }
    if (terminal && end.kind === 'escape') io.stderr.write(`\nDisconnected from ${target}.\n`);
    const code = exitCode(end);
    // A person at a terminal saw each refusal as it happened; a script has only the code.
    return role.inputRefused && !terminal ? INPUT_REFUSED_EXIT_CODE : code;
  } finally {
    for (const sink of sinks) sink.close();
  }
}

function escapeHint(escapeKey: number | undefined): string {
  if (escapeKey === undefined) return 'No escape character (--escape none): end the session on the machine to leave.';
  return `Escape character is ${describeEscapeKey(escapeKey)} (type it alone to leave).`;
}

function openSinks(options: ExecOptions, size: { cols: number; rows: number }, title: string): OutputSink[] {
  const sinks: OutputSink[] = [];
  try {
    if (options.logFile) {
      const log = new OutputFile(options.logFile, 'a', '--log file');
      sinks.push({ output: (data) => log.write(data), close: () => log.close() });
    }
    if (options.recordFile) sinks.push(new AsciicastRecorder(options.recordFile, size, title));
  } catch (error) {
    for (const sink of sinks) sink.close();
    throw error;
  }
  return sinks;
}

function exitCode(end: ExecSessionEnd): number {
  switch (end.kind) {
    case 'status': {
      const code = exitCodeOf(end.status);
      if (code !== undefined) return code;
      throw new ExecError('failure', end.status.message || 'the console session failed');
    }
    case 'signal':
      return 128 + constants.signals[end.signal];
    case 'lost':
      throw connectionLost(end.reason);
    default:
      return 0;
  }
}
