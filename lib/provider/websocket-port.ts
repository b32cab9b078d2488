// The per-machine endpoint's websocket (the `ws` library) as a ChannelPort: base64 or binary
// framing, what a client may send on its subprotocol, the error channel, and the buffered
// amount against a high-water mark.
import type { RawData, WebSocket } from 'ws';
import {
  encodeBase64Message,
  errorChannelMessage,
  failureStatus,
  isBase64Protocol,
  readClientFrame,
  type ChannelPort,
  type ChannelProtocol,
  type Status,
} from '../protocol/index.js';

export class WebsocketPort implements ChannelPort {
  private readonly base64: boolean;
  private blocked = false;
  private finished = false;
  private messageHandler: (message: Buffer) => void = () => {};
  private drainHandler: () => void = () => {};
  private closeHandler: (error?: Error) => void = () => {};
  private failure: Error | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly protocol: ChannelProtocol,
    private readonly highWaterBytes: number,
  ) {
    this.base64 = isBase64Protocol(protocol);
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('close', () => this.closeHandler(this.failure));
    ws.on('error', () => ws.terminate());
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(message: Uint8Array): boolean {
    if (this.finished) return true;
    this.ws.send(this.base64 ? encodeBase64Message(message) : message, this.afterSend);
    if (!this.blocked && this.ws.bufferedAmount > this.highWaterBytes) this.blocked = true;
    return !this.blocked;
  }

  endWithStatus(status: Status): void {
    if (this.finished) return;
    const message = errorChannelMessage(this.protocol, status);
    if (message) this.send(message);
    this.finished = true;
    this.ws.close(1000);
  }

  onMessage(handler: (message: Buffer) => void): void {
    this.messageHandler = handler;
  }

  onDrain(handler: () => void): void {
    this.drainHandler = handler;
  }

  onClose(handler: (error?: Error) => void): void {
    this.closeHandler = handler;
  }

  pauseInput(): void {
    this.ws.pause();
  }

  resumeInput(): void {
    this.ws.resume();
  }

  close(): void {
    this.finished = true;
    this.ws.close(1000);
  }

  // Runs as each message reaches the socket, so the buffered amount is rechecked as it falls.
  private readonly afterSend = (): void => {
    if (!this.blocked || this.ws.bufferedAmount > this.highWaterBytes / 2) return;
    this.blocked = false;
    this.drainHandler();
  };

  private receive(data: RawData, isBinary: boolean): void {
    if (this.finished) return;
    const message = readClientFrame(this.protocol, data as Buffer, isBinary);
    if (!(message instanceof Error)) return this.messageHandler(message);
    // The client broke the channel protocol: 400 on the error channel, and the session ends.
    this.failure = message;
    this.endWithStatus(failureStatus(400, message.message));
  }
}
