// The client side of a console session as the binary channel messages of the websocket
// protocols ([channel][payload], lib/protocol/channel.ts), whatever carries them: a websocket
// (any channel.k8s.io subprotocol) or a SPDY/3.1 remotecommand connection. Session code is
// written once against this; each transport does its own framing and its own protocol rules.
import type { Status } from './status.js';

export interface ChannelPort {
  /** Output: [1]/[2][bytes] (or [5] on protocols that have it). False: over the high-water mark, wait for onDrain. */
  send(message: Uint8Array): boolean;
  /** The Status on the error channel as the protocol writes it, then a normal close. */
  endWithStatus(status: Status): void;
  /** Input, checked against the protocol: [0][stdin], [255, 0] stdin EOF, [4][resize JSON]. */
  onMessage(handler: (message: Buffer) => void): void;
  /** The output buffer fell back under the high-water mark. */
  onDrain(handler: () => void): void;
  /** Called once when the connection ends; with the error when it was not a clean close (a broken protocol: the port has ended it with a 400 Status). */
  onClose(handler: (error?: Error) => void): void;
  readonly bufferedAmount: number;
  /** Stop and restart reading input, for the console's backpressure. */
  pauseInput(): void;
  resumeInput(): void;
  close(): void;
}
