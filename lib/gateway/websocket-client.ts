// A session's client on a uWS websocket: the channel protocols' framing (binary, or base64
// text) and their rules for what a client may send, in front of the protocol-free session.
import {
  encodeBase64Message,
  errorChannelMessage,
  failureStatus,
  isBase64Protocol,
  readClientFrame,
  type ChannelProtocol,
  type Status,
} from '../protocol/index.js';
import type { ClientConnection, GatewaySession } from './session.js';
import type { UWS } from './uws.js';

export class WebsocketClient implements ClientConnection {
  private readonly text: boolean;
  private ending = false;

  constructor(
    private readonly ws: UWS.WebSocket<unknown>,
    private readonly protocol: ChannelProtocol,
  ) {
    this.text = isBase64Protocol(protocol);
  }

  send(message: Buffer): void {
    if (this.text) this.ws.send(encodeBase64Message(message), false);
    else this.ws.send(message, true);
  }

  cork(write: () => void): void {
    this.ws.cork(write);
  }

  bufferedAmount(): number {
    return this.ws.getBufferedAmount();
  }

  finish(status: Status): void {
    const message = errorChannelMessage(this.protocol, status);
    if (message) this.send(message);
    this.ending = true;
    this.endOnceSent();
  }

  /** uWS wrote out what the socket held back. */
  drained(): void {
    if (this.ending) this.endOnceSent();
  }

  // uWS runs the close handler as soon as end() is called: ending only once the send buffer is
  // empty makes that handler mean "the Status is with the kernel", which a graceful shutdown
  // waits for before it closes the app (an app's close drops what uWS still holds).
  private endOnceSent(): void {
    if (this.ws.getBufferedAmount() === 0) this.ws.end(1000);
  }

  /** A websocket message from the client, checked and handed to the session in binary form. */
  receive(session: GatewaySession, data: ArrayBuffer, isBinary: boolean): void {
    // uWS reclaims `data` when this callback returns and the link may write later: a binary
    // message is copied once (a base64 one is decoded into a new buffer anyway).
    const message = readClientFrame(this.protocol, this.text ? Buffer.from(data) : Buffer.from(new Uint8Array(data)), isBinary);
    if (message instanceof Error) return session.endWith(failureStatus(400, message.message));
    session.fromClient(message);
  }
}
