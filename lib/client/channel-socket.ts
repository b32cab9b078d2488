// The client side of the binary Kubernetes channel protocols (v5/v4.channel.k8s.io) on an open
// websocket: stdin, resize and half-close out; stdout, stderr and the final Status in. Events
// that arrive before a consumer subscribes are queued, because the first output (the console's
// scrollback) can arrive in the same read as the upgrade response. The first role a session is
// told (ROLE, when asked with announceRole) is also kept apart, for the banner that says it.
import type WebSocket from 'ws';
import {
  CLOSE,
  ChannelProtocolError,
  ERROR,
  OUTPUT_OFFSET,
  RESIZE,
  ROLE,
  STDERR,
  STDIN,
  STDOUT,
  channelMessage,
  encodeResize,
  parseErrorChannel,
  parseOutputOffset,
  parseRoleMessage,
  supportsHalfClose,
  type ChannelProtocol,
  type ConsoleRole,
  type RoleEvent,
  type Status,
  type TerminalSize,
} from '../protocol/index.js';

export interface ChannelHandlers {
  output(channel: typeof STDOUT | typeof STDERR, data: Buffer): void;
  /** The error channel's Status: the session's result. The server closes next. */
  status(status: Status): void;
  /** The session's role changed, or its input was refused (ROLE). */
  role(event: RoleEvent): void;
  /** The websocket closed; `error` is what broke it, when something did. */
  closed(code: number, error: Error | undefined): void;
}

/** Stdin is held back while this much is waiting to be sent. */
const SEND_HIGH_WATERMARK = 1 << 20;

export class ChannelSocket {
  private handlers: ChannelHandlers | undefined;
  private queued: ((handlers: ChannelHandlers) => void)[] = [];
  private lastError: Error | undefined;
  private resolveFirstRole: (role: ConsoleRole | undefined) => void = () => {};
  /** The role the session was first told, as soon as it arrives; undefined if the socket closes first. */
  readonly firstRole = new Promise<ConsoleRole | undefined>((resolve) => (this.resolveFirstRole = resolve));

  constructor(
    readonly ws: WebSocket,
    readonly protocol: ChannelProtocol,
    /**
     * The console output offset of the first stdout byte, when the server says: in the 101's
     * X-Console-Output-Offset, or in-band before any output (OUTPUT_OFFSET).
     */
    public outputOffset?: number,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // Only binary protocols were offered; a text message is not part of them.
      if (!isBinary || data.length === 0) return;
      const role = data[0] === ROLE ? parseRoleMessage(data.subarray(1)) : undefined;
      if (role && role !== 'input-refused') this.resolveFirstRole(role);
      this.deliver((h) => this.dispatch(h, data, role));
    });
    ws.on('error', (error) => (this.lastError = error));
    ws.on('close', (code) => {
      this.resolveFirstRole(undefined);
      this.deliver((h) => h.closed(code, this.lastError));
    });
  }

  /** Starts delivering events, the queued ones first. */
  listen(handlers: ChannelHandlers): void {
    this.handlers = handlers;
    const queued = this.queued;
    this.queued = [];
    for (const event of queued) event(handlers);
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Returns false once the send buffer is over its watermark: hold input until `drained` runs. */
  sendStdin(data: Uint8Array, drained: () => void): boolean {
    if (!this.open) return true;
    this.ws.send(channelMessage(STDIN, data), () => {
      if (this.ws.bufferedAmount < SEND_HIGH_WATERMARK) drained();
    });
    return this.ws.bufferedAmount < SEND_HIGH_WATERMARK;
  }

  sendResize(size: TerminalSize): void {
    if (this.open) this.ws.send(channelMessage(RESIZE, encodeResize(size)));
  }

  /** stdin EOF: v5 half-closes; older protocols have no way to say it, so nothing is sent. */
  closeStdin(): void {
    if (this.open && supportsHalfClose(this.protocol)) this.ws.send(Buffer.from([CLOSE, STDIN]));
  }

  private deliver(event: (handlers: ChannelHandlers) => void): void {
    if (this.handlers) event(this.handlers);
    else this.queued.push(event);
  }

  /** The error channel's Status; one the server wrote wrong is a failure that says so. */
  private errorChannelStatus(payload: Buffer): Status {
    const status = parseErrorChannel(this.protocol, payload);
    return status instanceof ChannelProtocolError ? { metadata: {}, status: 'Failure', message: status.message } : status;
  }

  private dispatch(handlers: ChannelHandlers, data: Buffer, role: RoleEvent | undefined): void {
    const channel = data[0];
    if (channel === STDOUT || channel === STDERR) handlers.output(channel, data.subarray(1));
    else if (channel === ERROR) handlers.status(this.errorChannelStatus(data.subarray(1)));
    else if (channel === OUTPUT_OFFSET) this.outputOffset ??= parseOutputOffset(data.subarray(1));
    else if (role) handlers.role(role);
  }
}
