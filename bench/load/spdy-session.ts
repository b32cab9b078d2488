// A console session over SPDY/3.1 as client-go's SPDY executor opens one (POST, one stream per
// stream type), through lib/spdy's client side, which hands it over as channel messages.
import type { ConnectionOptions } from 'node:tls';
import { STDIN, STDOUT, ERROR, channelMessage } from '../../lib/protocol/index.js';
import { connectSpdyChannelPort, type SpdyChannelPort } from '../../lib/spdy/index.js';
import type { ClientSession, ConnectOptions } from './client-session.js';
import { identityHeaders, sessionUrl, type Target } from './target.js';

export class SpdySession implements ClientSession {
  onOutput: (payload: Buffer) => void = () => {};
  status: string | undefined;
  failure: string | undefined;
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;
  private port: SpdyChannelPort | undefined;
  private ended = false;
  private cancelled = false;

  constructor(target: Target, machine: string, options: ConnectOptions) {
    const connecting = connectSpdyChannelPort({
      url: sessionUrl(target, machine).replace(/^ws/, 'http'),
      // https.request passes localAddress on to the socket it opens (plain http has no place for it here).
      ...(options.secureContext ? { tls: { secureContext: options.secureContext, localAddress: options.localAddress } as ConnectionOptions } : {}),
      headers: identityHeaders(target, options.token),
      stdin: true,
      stdout: true,
      stderr: false,
      tty: true,
      pingIntervalMs: 0,
      timeoutMs: options.handshakeTimeoutMs,
    });
    this.opened = connecting.then((port) => {
      if (this.cancelled) {
        port.close();
        throw new Error('closed before it opened');
      }
      this.port = port;
      port.onMessage((message) => {
        if (message[0] === STDOUT) this.onOutput(message.subarray(1));
        else if (message[0] === ERROR) this.status = message.toString('utf8', 1);
      });
    });
    this.opened.catch((error: Error) => (this.failure ??= error.message));
    this.closed = this.opened.then(
      () => new Promise<void>((resolve) => this.port!.onClose((error) => {
        this.ended = true;
        if (error) this.failure ??= error.message;
        resolve();
      })),
      () => {
        this.ended = true;
      },
    );
  }

  get isOpen(): boolean {
    return this.port !== undefined && !this.ended;
  }

  sendStdin(payload: Buffer): void {
    this.port?.send(channelMessage(STDIN, payload));
  }

  pauseReading(): void {
    this.port?.pauseInput();
  }

  /**
   * Streams' FIN and GOAWAY; reading resumes so the server's answer is seen. lib/spdy's port
   * cannot tear its socket down, so a server that does not answer in time is left to the
   * process's exit (the bench's servers always answer).
   */
  async close(timeoutMs: number): Promise<void> {
    if (!this.port) {
      this.cancelled = true;
      return;
    }
    if (this.ended) return;
    this.port.resumeInput();
    this.port.close();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.closed, late]);
    clearTimeout(timer);
  }

  terminate(): void {
    void this.close(0);
  }
}
