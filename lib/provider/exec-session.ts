// One console session on IEP-02's per-machine websocket endpoint, speaking the Kubernetes
// channel protocol: output as [1]/[2] messages, input as stdin, resize and (v5) close
// messages, and at the end a Status on the error channel before a normal close. The console
// is paused while the websocket's buffered amount is over the high watermark.
import type { RawData, WebSocket } from 'ws';
import {
  CLOSE,
  ERROR,
  RESIZE,
  STDIN,
  channelMessage,
  checkClientMessage,
  decodeBase64Message,
  encodeBase64Message,
  errorChannelPayload,
  exitCodeStatus,
  failureStatus,
  isBase64Protocol,
  outputOffsetMessage,
  parseResize,
  successStatus,
  type ChannelProtocol,
  type Status,
} from '../protocol/index.js';
import { badRequest, type Attachment, type ConsoleSession, type SessionOutcome } from './session.js';

export interface ExecSessionSettings {
  /** Bytes buffered on the websocket above which the console is paused. */
  highWaterBytes: number;
  /**
   * Upgrades the request, telling the client the output offset of the session's first byte, and
   * hands over the websocket (synchronously, or never when the handshake is invalid).
   */
  upgrade: (outputOffset: number, onWebSocket: (ws: WebSocket) => void) => void;
  /** The client asked for the output offset in-band too (announceOffset=true). */
  announceOffset: boolean;
  /** Answers the request with an HTTP error, when the console cannot be attached. */
  refuse: (status: Status) => void;
}

export class ExecSession implements ConsoleSession {
  private ws: WebSocket | undefined;
  private attachment: Attachment | undefined;
  private cancelAttach: () => void = () => {};
  private blocked = false;
  private closed = false;
  private readonly base64: boolean;

  constructor(
    readonly label: string,
    private readonly protocol: ChannelProtocol,
    private readonly settings: ExecSessionSettings,
  ) {
    this.base64 = isBase64Protocol(protocol);
  }

  waitForConsole(cancel: () => void): void {
    if (!this.attachment && !this.closed) this.cancelAttach = cancel;
  }

  /** The request's socket closed: before the upgrade, or when an invalid handshake was refused. */
  socketClosed(): void {
    if (this.ws) return; // the websocket reports its own close
    this.leave();
  }

  attached(attachment: Attachment): void {
    this.attachment = attachment;
    this.settings.upgrade(attachment.outputOffset, (ws) => {
      this.bind(ws);
      if (this.settings.announceOffset) this.sendMessage(outputOffsetMessage(attachment.outputOffset));
    });
  }

  output(channel: number, chunk: Buffer): void {
    this.send(channel, chunk);
  }

  inputDrained(): void {
    this.ws?.resume();
  }

  ended(outcome: SessionOutcome): void {
    if (this.closed) return;
    this.closed = true;
    this.attachment = undefined;
    const ws = this.ws;
    if (!ws) return this.settings.refuse(failureStatus(outcome.code, outcome.message, outcome.reason));
    const payload = errorChannelPayload(this.protocol, statusOf(outcome));
    if (payload) this.send(ERROR, payload);
    ws.close(1000);
  }

  private bind(ws: WebSocket): void {
    this.ws = ws;
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('close', () => this.leave());
    ws.on('error', () => ws.terminate());
  }

  private send(channel: number, payload: Buffer): void {
    const ws = this.ws;
    if (!ws || (this.closed && channel !== ERROR)) return;
    // Any channel the console sends on: 1, 2, 3, and ROLE when the client asked.
    this.sendMessage(channelMessage(channel, payload));
  }

  private sendMessage(message: Buffer): void {
    const ws = this.ws!;
    ws.send(this.base64 ? encodeBase64Message(message) : message, this.afterSend);
    if (!this.blocked && ws.bufferedAmount > this.settings.highWaterBytes) {
      this.blocked = true;
      this.attachment?.setBlocked(true);
    }
  }

  // Runs as each message reaches the socket, so the buffered amount is rechecked as it falls.
  private readonly afterSend = (): void => {
    if (!this.blocked || !this.ws || this.ws.bufferedAmount > this.settings.highWaterBytes / 2) return;
    this.blocked = false;
    this.attachment?.setBlocked(false);
  };

  private receive(data: RawData, isBinary: boolean): void {
    const attachment = this.attachment;
    if (!attachment) return;
    const bytes = data as Buffer;
    const message = this.base64 && !isBinary ? decodeBase64Message(bytes.toString('utf8')) : bytes;
    if (message instanceof Error) return this.fail(message.message);
    const invalid = checkClientMessage(this.protocol, message);
    if (invalid) return this.fail(invalid.message);
    switch (message[0]) {
      case STDIN:
        if (attachment.write(message.subarray(1)) === 'pending') this.ws!.pause();
        return;
      case RESIZE: {
        const size = parseResize(message.subarray(1));
        if (size instanceof Error) return this.fail(size.message);
        return attachment.resize(size.cols, size.rows);
      }
      case CLOSE:
        return attachment.endInput();
    }
  }

  /** The client broke the channel protocol: 400 on the error channel. */
  private fail(message: string): void {
    this.detach();
    this.ended(badRequest(message));
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

/** The error channel's Status for how the session ended, as the kubelet writes it. */
function statusOf(outcome: SessionOutcome): Status {
  if (outcome.code === 200) return successStatus();
  if (outcome.reason === 'NonZeroExitCode' && outcome.exitCode !== undefined) return exitCodeStatus(outcome.exitCode);
  return failureStatus(outcome.code, outcome.message, outcome.reason);
}
