// A session's client on a websocket that a front (node:http(s)) upgraded in this process with
// the `ws` package: the front-proxy and client-certificate listeners, which uWS cannot serve,
// without relaying every byte through a private uWS app. The same channel framing and client
// rules as websocket-client.ts (uWS), and the same idle rule: a client silent for the idle
// timeout is pinged, and one still silent after another is dropped.
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
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

export class NodeWebsocketClient implements ClientConnection {
  private readonly text: boolean;
  /** Whether anything came from the client since the idle timer last looked. */
  private heard = true;
  private readonly idleTimer: NodeJS.Timeout;

  /** `socket` is the one `ws` was upgraded on: corked around a batch, its 'drain' returns credit. */
  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
    private readonly protocol: ChannelProtocol,
    session: GatewaySession,
    idleTimeoutSeconds: number,
  ) {
    this.text = isBase64Protocol(protocol);
    const heard = () => (this.heard = true);
    ws.on('message', (data, isBinary) => {
      heard();
      this.receive(session, data, isBinary);
    });
    ws.on('pong', heard);
    ws.on('ping', heard);
    socket.on('drain', () => session.drained());
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      clearInterval(this.idleTimer);
      session.clientClosed();
    });
    this.idleTimer = setInterval(() => {
      if (!this.heard) return void ws.terminate();
      this.heard = false;
      ws.ping();
    }, idleTimeoutSeconds * 1000).unref();
  }

  send(message: Buffer): void {
    if (this.text) this.ws.send(encodeBase64Message(message));
    // Output is lent (UpstreamStream.onData) and ws writes a server's frames to the socket as they are.
    else this.ws.send(Buffer.from(message));
  }

  // The frames of one batch leave in one socket write (under TLS, one record per 16 KiB).
  cork(write: () => void): void {
    this.socket.cork();
    try {
      write();
    } finally {
      this.socket.uncork();
    }
  }

  bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  // The close frame follows the Status; `ws` closes the socket once the client answers it (or
  // after its close timeout), and only then does the session count the client as gone.
  finish(status: Status): void {
    const message = errorChannelMessage(this.protocol, status);
    if (message) this.send(message);
    this.ws.close(1000);
  }

  private receive(session: GatewaySession, data: RawData, isBinary: boolean): void {
    const message = readClientFrame(this.protocol, data as Buffer, isBinary);
    if (message instanceof Error) return session.endWith(failureStatus(400, message.message));
    session.fromClient(message);
  }
}
