// A console session on a `ws` websocket with the v5.channel.k8s.io subprotocol: binary
// messages that carry a channel byte.
import WebSocket from 'ws';
import { STDOUT, ERROR, channelMessage, STDIN } from '../../lib/protocol/index.js';
import type { ClientSession, ConnectOptions } from './client-session.js';
import { identityHeaders, sessionUrl, type Target } from './target.js';

export class WebsocketSession implements ClientSession {
  readonly ws: WebSocket;
  onOutput: (payload: Buffer) => void = () => {};
  status: string | undefined;
  failure: string | undefined;
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;

  constructor(target: Target, machine: string, options: ConnectOptions) {
    this.ws = new WebSocket(sessionUrl(target, machine), ['v5.channel.k8s.io'], {
      perMessageDeflate: false,
      handshakeTimeout: options.handshakeTimeoutMs,
      localAddress: options.localAddress,
      ...(options.secureContext ? { secureContext: options.secureContext } : {}),
      headers: identityHeaders(target, options.token),
    });
    this.closed = new Promise((resolve) => this.ws.once('close', () => resolve()));
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('close', () => reject(new Error(`closed before it opened${this.failure ? `: ${this.failure}` : ''}`)));
    });
    this.opened.catch(() => {});
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
    this.ws.send(channelMessage(STDIN, payload), { binary: true });
  }

  pauseReading(): void {
    this.ws.pause();
  }

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

  terminate(): void {
    this.ws.terminate();
  }
}
