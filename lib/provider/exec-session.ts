// One console session on IEP-02's per-machine endpoint, on a ChannelPort (a websocket with any
// channel.k8s.io subprotocol, or SPDY/3.1): output as [1]/[2] messages, input as stdin, resize
// and close (stdin EOF) messages, and at the end a Status on the error channel before a normal
// close. The console is paused while the port is over its high-water mark.
import {
  ChannelProtocolError,
  channelMessage,
  failureStatus,
  outputOffsetMessage,
  readClientMessage,
  statusFromClose,
  type ChannelPort,
  type Status,
} from '../protocol/index.js';
import type { Attachment, ConsoleSession, SessionOutcome } from './session.js';

export interface EndpointSessionSettings {
  /**
   * Upgrades the request, telling the client the output offset of the session's first byte, and
   * hands over the port (or never, when the handshake fails; the socket's close says so).
   */
  upgrade: (outputOffset: number, onPort: (port: ChannelPort) => void) => void;
  /** The client asked for the output offset in-band too (announceOffset=true). */
  announceOffset: boolean;
  /** Answers the request with an HTTP error, when the console cannot be attached. */
  refuse: (status: Status) => void;
}

export class EndpointSession implements ConsoleSession {
  private port: ChannelPort | undefined;
  private attachment: Attachment | undefined;
  private cancelAttach: () => void = () => {};
  private closed = false;

  constructor(
    readonly label: string,
    private readonly settings: EndpointSessionSettings,
  ) {}

  waitForConsole(cancel: () => void): void {
    if (!this.attachment && !this.closed) this.cancelAttach = cancel;
  }

  /** The request's socket closed: before the upgrade, or when the handshake failed. */
  socketClosed(): void {
    if (this.port) return; // the port reports its own close
    this.leave();
  }

  attached(attachment: Attachment): void {
    this.attachment = attachment;
    this.settings.upgrade(attachment.outputOffset, (port) => {
      if (this.closed) return port.close();
      this.bind(port);
      if (this.settings.announceOffset) this.sendMessage(outputOffsetMessage(attachment.outputOffset));
    });
  }

  output(channel: number, chunk: Buffer): void {
    if (!this.port || this.closed) return;
    // Any channel the console sends on: 1, 2, and ROLE when the client asked.
    this.sendMessage(channelMessage(channel, chunk));
  }

  inputDrained(): void {
    this.port?.resumeInput();
  }

  ended(outcome: SessionOutcome): void {
    if (this.closed) return;
    this.closed = true;
    this.attachment = undefined;
    if (!this.port) return this.settings.refuse(failureStatus(outcome.code, outcome.message, outcome.reason));
    this.port.endWithStatus(statusFromClose(outcome));
  }

  private bind(port: ChannelPort): void {
    this.port = port;
    port.onMessage((message) => this.receive(message));
    port.onDrain(() => this.attachment?.setBlocked(false));
    port.onClose(() => this.leave());
  }

  private sendMessage(message: Buffer): void {
    if (!this.port!.send(message)) this.attachment?.setBlocked(true);
  }

  private receive(message: Buffer): void {
    const attachment = this.attachment;
    if (!attachment) return;
    const input = readClientMessage(message);
    if (input instanceof ChannelProtocolError) {
      this.detach();
      this.closed = true;
      return this.port!.endWithStatus(failureStatus(400, input.message));
    }
    switch (input.kind) {
      case 'stdin':
        if (attachment.write(input.bytes) === 'pending') this.port!.pauseInput();
        return;
      case 'resize':
        return attachment.resize(input.size.cols, input.size.rows);
      case 'close':
        return attachment.endInput();
    }
  }

  private leave(): void {
    this.detach();
    this.closed = true;
  }

  private detach(): void {
    this.cancelAttach();
    this.attachment?.detach();
    this.attachment = undefined;
  }
}
