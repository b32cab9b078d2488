// A session's client on a SPDY/3.1 remotecommand connection (kubectl before 1.30, kubectl
// ironcore, client-go's SPDY executor). The channel port already speaks the session's binary
// channel messages; this binds its events to the session and its backpressure to the credit.
import type { Status } from '../protocol/index.js';
import type { SpdyChannelPort } from '../spdy/index.js';
import type { ClientConnection, GatewaySession } from './session.js';

export class SpdyClient implements ClientConnection {
  constructor(
    private readonly port: SpdyChannelPort,
    session: GatewaySession,
  ) {
    port.onMessage((message) => session.fromClient(message));
    port.onDrain(() => session.drained());
    port.onClose(() => session.clientClosed());
  }

  send(message: Buffer): void {
    // Output is lent (UpstreamStream.onData) and node's socket keeps what it is given until written.
    this.port.send(Buffer.from(message));
  }

  cork(write: () => void): void {
    write();
  }

  bufferedAmount(): number {
    return this.port.bufferedAmount;
  }

  finish(status: Status): void {
    this.port.endWithStatus(status);
  }
}
