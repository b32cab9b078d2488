// A remotecommand session over SPDY seen as the binary channel messages the websocket side
// uses ([channel][payload], lib/protocol/channel.ts), so the gateway, the provider and the
// upstreams run one session path whichever transport a peer speaks. The server side maps the
// client's stdin/resize streams to messages and our stdout/stderr messages to its streams; the
// client side the reverse, with the error stream's bytes as one [3] message when it ends.
import {
  CLOSE,
  ChannelProtocolError,
  ERROR,
  RESIZE,
  ResizeStreamReader,
  STDERR,
  STDIN,
  STDOUT,
  channelMessage,
  errorChannelPayload,
  failureStatus,
  spdyDataAsChannelMessage,
  type SpdyChannelProtocol,
  type SpdyStreamType,
  type ChannelPort,
  type Status,
} from '../protocol/index.js';
import type { SpdyConnection } from './connection.js';
import type { SpdyStream } from './stream.js';

/**
 * A ChannelPort (lib/protocol/channel-port.ts) on SPDY. Server side: send() takes [1]/[2] for the
 * stdout/stderr streams; onMessage gives [0][stdin], [255,0] at stdin FIN (every version: SPDY
 * half-closes streams) and [4][json] per resize object (bad JSON: the port ends with a 400
 * Status); endWithStatus writes the error stream in the protocol's form (v4: the Status JSON
 * with ExitCode causes; v1-v3: the message text), ends every stream and sends GOAWAY OK.
 * Client side, the reverse: send() takes [0], [255,0] (stdin FIN) and [4] (a JSON line, as
 * client-go writes it); onMessage gives [1]/[2] and [3][raw error-stream bytes] once the error
 * stream ends. Messages for a stream the session lacks are dropped; payloads are written as
 * views, never copied. Each event takes one handler; a second call replaces the first.
 */
export interface SpdyChannelPort extends ChannelPort {
  readonly protocol: SpdyChannelProtocol;
}

export type SpdyPortStreams = Partial<Record<SpdyStreamType, SpdyStream>>;

export class SpdyChannelPortImpl implements SpdyChannelPort {
  private messageHandler: ((message: Buffer) => void) | undefined;
  private queued: Buffer[] = [];
  private closeHandler: (error?: Error) => void = () => {};
  private closed = false;
  private closeError: Error | undefined;
  private ended = false;
  private errorBytes: Buffer[] = [];
  private errorDelivered = false;

  constructor(
    readonly protocol: SpdyChannelProtocol,
    private readonly role: 'server' | 'client',
    private readonly connection: SpdyConnection,
    private readonly streams: SpdyPortStreams,
  ) {
    connection.onClose((error) => this.finish(error));
    if (role === 'server') this.wireServer();
    else this.wireClient();
  }

  get bufferedAmount(): number {
    return this.connection.bufferedAmount;
  }

  send(message: Uint8Array): boolean {
    // After the end nothing more goes out; saying false would have the caller wait for a drain.
    if (message.length === 0 || this.ended) return true;
    const payload = message.subarray(1);
    const channel = message[0];
    if (this.role === 'server') {
      const stream = channel === STDOUT ? this.streams.stdout : channel === STDERR ? this.streams.stderr : undefined;
      return stream ? stream.write(payload) : true;
    }
    switch (channel) {
      case STDIN:
        return this.streams.stdin?.write(payload) ?? true;
      case CLOSE:
        if (payload[0] === STDIN) this.streams.stdin?.end();
        return true;
      case RESIZE:
        return this.streams.resize?.write(Buffer.concat([payload, Buffer.from('\n')])) ?? true;
    }
    return true;
  }

  endWithStatus(status: Status): void {
    if (this.role !== 'server') throw new Error('endWithStatus is the server side of a SPDY channel port');
    if (this.ended) return;
    this.ended = true;
    const payload = errorChannelPayload(this.protocol, status);
    if (payload && this.streams.error) this.streams.error.write(payload, true);
    // Every half of ours ends with FIN, then GOAWAY: spdystream stops reading at GOAWAY, so
    // the status and the FINs must be in front of it.
    for (const stream of Object.values(this.streams)) stream.end();
    this.connection.close();
  }

  onMessage(handler: (message: Buffer) => void): void {
    this.messageHandler = handler;
    const queued = this.queued;
    this.queued = [];
    for (const message of queued) handler(message);
  }

  onDrain(handler: () => void): void {
    this.connection.onDrain(handler);
  }

  onClose(handler: (error?: Error) => void): void {
    this.closeHandler = handler;
    if (this.closed) process.nextTick(() => handler(this.closeError));
  }

  pauseInput(): void {
    this.connection.pauseInput();
  }

  resumeInput(): void {
    this.connection.resumeInput();
  }

  close(): void {
    this.ended = true;
    for (const stream of Object.values(this.streams)) stream.end();
    this.connection.close();
  }

  private deliver(message: Buffer): void {
    if (this.messageHandler) this.messageHandler(message);
    else this.queued.push(message);
  }

  private wireServer(): void {
    const { stdin, resize } = this.streams;
    stdin?.onData((data) => this.deliver(spdyDataAsChannelMessage(data, STDIN)));
    stdin?.onEnd(() => this.deliver(Buffer.from([CLOSE, STDIN])));
    if (resize) {
      const reader = new ResizeStreamReader();
      resize.onData((data) => {
        for (const item of reader.push(data)) {
          if (item instanceof ChannelProtocolError) return this.fail(item);
          this.deliver(channelMessage(RESIZE, item));
        }
      });
    }
    // The client writes nothing else; whatever it does send is read and dropped.
    for (const type of ['error', 'stdout', 'stderr'] as const) this.streams[type]?.onData(() => {});
  }

  private wireClient(): void {
    this.streams.stdout?.onData((data) => this.deliver(spdyDataAsChannelMessage(data, STDOUT)));
    this.streams.stderr?.onData((data) => this.deliver(spdyDataAsChannelMessage(data, STDERR)));
    const error = this.streams.error;
    error?.onData((data) => this.errorBytes.push(Buffer.from(data)));
    error?.onEnd(() => this.deliverError());
    error?.onReset(() => this.deliverError());
  }

  private deliverError(): void {
    if (this.errorDelivered) return;
    this.errorDelivered = true;
    this.deliver(channelMessage(ERROR, Buffer.concat(this.errorBytes)));
    this.errorBytes = [];
  }

  /** The client broke the session's protocol: it gets a 400 Status, we report the error. */
  private fail(error: ChannelProtocolError): void {
    if (this.ended) return;
    this.closeError ??= error;
    this.endWithStatus(failureStatus(400, error.message));
  }

  private finish(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    // A connection that ended after error-stream bytes but before its FIN still said them.
    if (this.role === 'client' && this.errorBytes.length > 0) this.deliverError();
    this.closeError ??= error;
    this.closeHandler(this.closeError);
  }
}
