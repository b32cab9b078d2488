// What the gateway needs from a provider connection, whatever carries it: the multiplexed
// link (default) or one websocket per session to IEP-02's per-machine endpoint.
import type { CloseMessage, OpenMessage } from '../../protocol/index.js';

export interface ProviderTarget {
  address: string;
  port: number;
}

export interface UpstreamStream {
  /** Whether this session holds the console's write lock. */
  readonly writer: boolean;
  /** The console output offset of the first byte this session receives. */
  readonly outputOffset: number;
  /**
   * Sends a client message in binary channel form ([0][stdin] or [255, 0]). Messages wait
   * while the provider grants no credit; past the hold limit the stream fails with a Status.
   */
  write(message: Buffer): void;
  resize(cols: number, rows: number): void;
  /** The client has taken `bytes` of output off our hands: the provider may send more. */
  consumed(bytes: number): void;
  /** Ends the session from the gateway's side (the client left). */
  close(): void;
  /**
   * Console output in binary channel form ([1][bytes]): a view, lent until the current task's
   * microtasks have run (a link reads into a buffer it reuses). Whoever keeps it longer copies it.
   */
  onData(handler: (message: Buffer) => void): void;
  /** Called once when the stream ends, with the provider's (or the gateway's) reason. */
  onClose(handler: (close: CloseMessage) => void): void;
}

/**
 * The end of a session whose console accepted no input while `waiting` bytes of it were held
 * (past `limit`): uWS cannot stop reading a client, so the gateway holds its stdin up to a
 * bound, and past it fails the session instead of dropping keys. Undefined while within it.
 */
export function stdinOverrun(waiting: number, limit: number): CloseMessage | undefined {
  if (waiting <= limit) return undefined;
  return { code: 429, reason: 'TooManyRequests', message: `stdin overran: the console accepted no input while ${waiting} bytes were waiting (limit ${limit})` };
}

export interface Upstream {
  /** Opens a console session; rejects with a StatusError (404, 409, 502, 503, 504, ...). */
  open(target: ProviderTarget, request: OpenMessage, timeoutMs: number): Promise<UpstreamStream>;
  /** Provider connections currently open, by "address:port". */
  connections(): Map<string, number>;
  close(): void;
}
