// One console session as a Kubernetes exec client sees it, whichever transport the target
// speaks: a v5.channel.k8s.io websocket (websocket-session.ts) or SPDY/3.1 as client-go's SPDY
// executor (spdy-session.ts). Console output (channel 1) goes to whichever driver owns the
// session at the moment (opener, bulk reader, typist); the error channel's Status is kept for
// the report.
import type { SecureContext } from 'node:tls';
import { SpdySession } from './spdy-session.js';
import type { Target } from './target.js';
import { WebsocketSession } from './websocket-session.js';

export interface ConnectOptions {
  localAddress: string;
  secureContext?: SecureContext;
  token?: string;
  handshakeTimeoutMs: number;
}

export interface ClientSession {
  /** Console output payloads (channel byte removed); replaced by each driver. */
  onOutput: (payload: Buffer) => void;
  /** The error channel's Status, when one came. */
  readonly status: string | undefined;
  /** Why the session failed or closed, for the report. */
  readonly failure: string | undefined;
  /** Resolves when the session is open; rejects with why it did not open. */
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;
  readonly isOpen: boolean;
  sendStdin(payload: Buffer): void;
  /** Stops reading: what the server sends piles up in the socket buffers. */
  pauseReading(): void;
  /** A normal close; the connection is torn down if the server does not answer in time. */
  close(timeoutMs: number): Promise<void>;
  /** Ends the session without waiting for the server (a websocket is cut; SPDY sends its FINs and GOAWAY). */
  terminate(): void;
}

export function openClientSession(target: Target, machine: string, options: ConnectOptions): ClientSession {
  return target.transport === 'spdy' ? new SpdySession(target, machine, options) : new WebsocketSession(target, machine, options);
}
