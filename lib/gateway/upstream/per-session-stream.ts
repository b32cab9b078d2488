// What the per-session upstreams (one websocket, or one SPDY connection, per session to the
// provider's per-machine endpoint) share once their transport has framed a message: the
// error channel's Status kept for the end, output handed on with TCP as the flow control (stop
// reading the provider once the client is a window behind), the stdin overrun rule, and how
// the session ended when the provider's connection closed.
import {
  ChannelProtocolError,
  ERROR,
  RESIZE,
  channelMessage,
  closeFromStatus,
  encodeResize,
  hasJsonStatus,
  parseErrorChannel,
  type ChannelProtocol,
  type CloseMessage,
  type SpdyChannelProtocol,
  type Status,
} from '../../protocol/index.js';
import { ReadPause } from './read-pause.js';
import { StreamEvents } from './stream-events.js';
import { stdinOverrun, type UpstreamStream } from './upstream.js';

export interface PerSessionLimits {
  /** Output the client may fall behind by before we stop reading the provider. */
  window: number;
  /** The most client stdin waiting in the provider connection's buffer. */
  stdinHoldBytes: number;
}

/** A session's connection to the provider once its framing is done: what PerSessionStream drives. */
export interface SessionTransport {
  /** Sends a client message in binary form, in the transport's framing. */
  send(message: Buffer): void;
  /** Client input waiting in the transport's buffer. */
  readonly bufferedAmount: number;
  pauseInput(): void;
  resumeInput(): void;
  /** Closes the provider connection: in order when `orderly`, else at once. */
  close(orderly: boolean): void;
}

export class PerSessionStream implements UpstreamStream {
  private readonly reading: ReadPause;
  private readonly events = new StreamEvents();
  private status: Status | undefined;
  private finished = false;

  constructor(
    private readonly transport: SessionTransport,
    /** The channel protocol the provider picked. */
    readonly protocol: ChannelProtocol | SpdyChannelProtocol,
    readonly writer: boolean,
    readonly outputOffset: number,
    private readonly limits: PerSessionLimits,
  ) {
    this.reading = new ReadPause(limits.window, () => transport.pauseInput(), () => transport.resumeInput());
  }

  onData(handler: (message: Buffer) => void): void {
    this.events.onData(handler);
  }

  onClose(handler: (close: CloseMessage) => void): void {
    this.events.onClose(handler);
  }

  write(message: Buffer): void {
    if (this.finished) return;
    this.transport.send(message);
    const overrun = stdinOverrun(this.transport.bufferedAmount, this.limits.stdinHoldBytes);
    if (!overrun) return;
    this.finish(overrun);
    this.transport.close(false);
  }

  resize(cols: number, rows: number): void {
    if (!this.finished) this.transport.send(channelMessage(RESIZE, encodeResize({ cols, rows })));
  }

  consumed(bytes: number): void {
    this.reading.consumed(bytes);
  }

  close(): void {
    this.finished = true;
    this.transport.close(true);
  }

  /** A message from the provider in binary form. */
  received(message: Buffer): void {
    if (message[0] === ERROR) {
      const status = parseErrorChannel(this.protocol, message.subarray(1));
      if (status instanceof ChannelProtocolError) return this.protocolError(status.message);
      this.status = status;
      return;
    }
    this.reading.received(message.length);
    this.events.data(message);
  }

  /**
   * The provider's connection closed, `orderly` or not: its Status says how the session ended;
   * the original protocols write none on success, so there their orderly close is the success.
   */
  providerClosed(orderly: boolean, detail?: string): void {
    if (this.status) return this.finish(closeFromStatus(this.status));
    if (orderly && !hasJsonStatus(this.protocol)) return this.finish({ code: 200, reason: '', message: '' });
    this.finish({ code: 503, reason: 'ServiceUnavailable', message: `connection to the provider closed${detail ? `: ${detail}` : ''}` });
  }

  protocolError(message: string): void {
    if (this.finished) return;
    this.finish({ code: 502, reason: 'InternalError', message: `provider protocol error: ${message}` });
    this.transport.close(false);
  }

  /** The end, reported once; after close() (the gateway's own end) nobody listens any more. */
  finish(close: CloseMessage): void {
    if (this.finished) return;
    this.finished = true;
    this.events.close(close);
  }
}
