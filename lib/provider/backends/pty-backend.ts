// A console that is a process on a pseudo-terminal: the dev stack's "machine", and machines
// that are really containers. Each open() spawns one process; its exit ends the console.
import type { ConsoleBackend, OpenRequest } from '../backend.js';
import { loadNodePty, type UnixPty } from './node-pty.js';
import { isTerminalDimension, PtyConsoleStream } from './pty-console-stream.js';

export interface PtyBackendOptions {
  /** The program to run (default: $SHELL, else /bin/sh). */
  command?: string;
  /** Its arguments, fixed or per request. */
  args?: string[] | ((request: OpenRequest) => string[]);
  /**
   * Its environment instead of the provider's own (as child_process's `env`). TERM (default
   * xterm-256color), NAMESPACE and MACHINE are always set.
   */
  env?: Record<string, string | undefined>;
  /** Its working directory (default: the provider's). */
  cwd?: string;
  /** How long close() waits after the hangup before SIGKILL (default 1000 ms). */
  killGraceMs?: number;
}

const DEFAULT_COLS = 80;
const DEFAULT_ROWS = 24;
const DEFAULT_TERM = 'xterm-256color';
const DEFAULT_KILL_GRACE_MS = 1000;

/**
 * Spawns the command on a pty of the request's size (80x24 by default). The stream's exit
 * reports `exitCode` (128 + signal number when a signal killed it); end() sends ^D; close()
 * hangs up and kills the process. A command that cannot be started prints node-pty's reason
 * on the console and exits 1. Throws at once when node-pty's native module does not load.
 */
export function createPtyBackend(options: PtyBackendOptions = {}): ConsoleBackend {
  const pty = loadNodePty();
  const command = options.command ?? process.env.SHELL ?? '/bin/sh';
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  return {
    async open(request) {
      const args = typeof options.args === 'function' ? options.args(request) : (options.args ?? []);
      const env = consoleEnvironment(options.env, request);
      const child = pty.spawn(command, args, {
        name: env.TERM,
        cols: isTerminalDimension(request.cols) ? request.cols : DEFAULT_COLS,
        rows: isTerminalDimension(request.rows) ? request.rows : DEFAULT_ROWS,
        cwd: options.cwd,
        env,
        encoding: null,
      });
      return new PtyConsoleStream(child as UnixPty, killGraceMs);
    },
  };
}

function consoleEnvironment(env: Record<string, string | undefined> | undefined, request: OpenRequest): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env ?? process.env)) {
    if (value !== undefined) result[name] = value;
  }
  // The provider's own TERM describes its log output, not the user's terminal.
  result.TERM = env?.TERM ?? DEFAULT_TERM;
  result.NAMESPACE = request.namespace;
  result.MACHINE = request.machine;
  return result;
}
