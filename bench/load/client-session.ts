// One console session as a Kubernetes v5 channel client sees it: a `ws` websocket whose
// binary messages carry a channel byte. Console output (channel 1) goes to whichever driver
// owns the session at the moment (opener, bulk reader, typist); the error channel's Status is
// kept for the report.
import type { SecureContext } from 'node:tls';
import WebSocket from 'ws';
import { benchToken, frontProxyHeaders } from '../fixture-names.js';
import { sessionUrl, type Target } from './target.js';

const STDOUT = 1;
const ERROR = 3;

export interface ConnectOptions {
  localAddress: string;
  secureContext?: SecureContext;
  token?: string;
  handshakeTimeoutMs: number;
}

export class ClientSession {
  readonly ws: WebSocket;
  /** Console output payloads (channel byte removed); replaced by each driver. */
  onOutput: (payload: Buffer) => void = () => {};
  /** The error channel's Status, when one came. */
  status: string | undefined;
  /** Why the session failed or closed, for the report. */
  failure: string | undefined;
  readonly closed: Promise<void>;

  constructor(target: Target, machine: string, options: ConnectOptions) {
    this.ws = new WebSocket(sessionUrl(target, machine), ['v5.channel.k8s.io'], {
      perMessageDeflate: false,
      handshakeTimeout: options.handshakeTimeoutMs,
      localAddress: options.localAddress,
      ...(options.secureContext ? { secureContext: options.secureContext } : {}),
      ...identityHeaders(target, options.token),
    });
    this.closed = new Promise((resolve) => this.ws.once('close', () => resolve()));
    this.ws.on('error', (error) => (this.failure ??= error.message));
    this.ws.on('message', (data: Buffer) => {
      const channel = data[0];
      if (channel === STDOUT) this.onOutput(data.subarray(1));
      else if (channel === ERROR) this.status = data.toString('utf8', 1);
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  sendStdin(payload: Buffer): void {
    const message = Buffer.allocUnsafe(payload.length + 1);
    message[0] = 0;
    payload.copy(message, 1);
    this.ws.send(message, { binary: true });
  }

  /** A normal close; the socket is torn down if the server does not answer in time. */
  async close(timeoutMs: number): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    // A reader that stopped reading would never see the server's answer.
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.isPaused) this.ws.terminate();
    else this.ws.close(1000);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(() => resolve(this.ws.terminate()), timeoutMs)));
    await Promise.race([this.closed, late]);
    clearTimeout(timer);
  }
}

function identityHeaders(target: Target, token: string | undefined): { headers?: Record<string, string> } {
  // The front proxy always names a user: bench user 0 when the open has no token.
  if (target.identity === 'front-proxy') return { headers: frontProxyHeaders(token ?? benchToken(0)) };
  return token ? { headers: { authorization: `Bearer ${token}` } } : {};
}
