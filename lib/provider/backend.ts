// What a machine pool provider implements to give its machines a console (IEP-02's
// "server-side interface"): a ConsoleBackend opens a machine's console as a ConsoleStream.
import type { UserInfo } from '../kube/index.js';

/** The user a console is opened for, as the gateway or this provider authenticated them. */
export type { UserInfo };

/** The console a session asks a backend for. */
export interface OpenRequest {
  namespace: string;
  machine: string;
  /** Whether the session asked for a terminal. */
  tty: boolean;
  /** The client's terminal size, when it said. */
  cols?: number;
  rows?: number;
  /** The caller, when the gateway or the provider's authorization named one. */
  user?: UserInfo;
}

/** How a console ended: exit code for process backends, or a reason for device backends. */
export interface ConsoleEnd {
  exitCode?: number;
  message?: string;
}

/**
 * A duplex byte stream of one console. Output is delivered through onData until pause() is
 * called; write() returns false when the console's input buffer is full, then 'drain' is
 * signalled through onDrain. Handlers are set once by the one consumer of the stream.
 */
export interface ConsoleStream {
  /** Input for the console; false: buffer full, wait for onDrain. */
  write(chunk: Uint8Array): boolean;
  /** Half-close: no more input (stdin EOF). Output may continue. */
  end(): void;
  /** The client's terminal changed size (terminals only). */
  resize?(cols: number, rows: number): void;
  /** Stop delivering output until resume(): the readers are behind. */
  pause(): void;
  resume(): void;
  /** Output; hold what comes before this is called. */
  onData(handler: (chunk: Buffer) => void): void;
  /** Input may be written again after write() returned false. */
  onDrain(handler: () => void): void;
  /** Called once when the console ends; no data follows. */
  onEnd(handler: (end: ConsoleEnd) => void): void;
  /** Called once on failure; onEnd is not called after it. */
  onError(handler: (error: Error) => void): void;
  /** Detach and release the console (idempotent). */
  close(): void;
}

/**
 * Opens machines' consoles: what a pool provider implements (or takes from ./backends).
 *
 * @example
 * ```js
 * const backend = {
 *   async open({ namespace, machine }) {
 *     const path = `/run/consoles/${namespace}/${machine}.sock`;
 *     if (!existsSync(path)) throw new NotFoundError(`${namespace}/${machine} has no console`);
 *     return mySerialStream(path); // a ConsoleStream
 *   },
 * };
 * ```
 */
export interface ConsoleBackend {
  /** Rejects with a ConsoleError (NotFound, Conflict, Forbidden, Unavailable) when it cannot. */
  open(request: OpenRequest): Promise<ConsoleStream>;
}

/** A failure that maps to a Kubernetes Status code and reason. */
export class ConsoleError extends Error {
  override name = 'ConsoleError';
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export class NotFoundError extends ConsoleError {
  constructor(message: string) {
    super(404, 'NotFound', message);
  }
}

export class ConflictError extends ConsoleError {
  constructor(message: string) {
    super(409, 'Conflict', message);
  }
}

export class ForbiddenError extends ConsoleError {
  constructor(message: string) {
    super(403, 'Forbidden', message);
  }
}

export class UnavailableError extends ConsoleError {
  constructor(message: string) {
    super(503, 'ServiceUnavailable', message);
  }
}
