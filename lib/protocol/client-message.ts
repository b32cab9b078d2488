// What a client's channel message asks of a console session, read the same way by every end
// that takes one (the gateway's session, the provider's endpoint and link sessions): stdin,
// a resize, or stdin's end, or why the message breaks the protocol. Which channels a client
// may use depends on its subprotocol: readClientFrame (channel.ts) checks that first.
import { CLOSE, RESIZE, STDIN, ChannelProtocolError } from './channel.js';
import { parseResize, type TerminalSize } from './resize.js';

/**
 * The largest message a client may send on a console session, its channel byte included: both
 * ends that take client messages (the gateway's exec endpoint and the provider's per-machine
 * endpoint) refuse a larger one, so a client can send the same on either.
 */
export const MAX_CLIENT_MESSAGE_BYTES = 1 << 20;

export type ClientInput =
  /** `message` is the whole binary form [0][bytes], to pass on as it is; `bytes` its payload. */
  | { kind: 'stdin'; message: Buffer; bytes: Buffer }
  | { kind: 'resize'; size: TerminalSize }
  /** stdin EOF, [255, 0]. */
  | { kind: 'close'; message: Buffer };

/** Reads a message in binary form from `sender` (named in the error for a channel it may not write). */
export function readClientMessage(message: Buffer, sender = 'the client'): ClientInput | ChannelProtocolError {
  switch (message[0]) {
    case STDIN:
      return { kind: 'stdin', message, bytes: message.subarray(1) };
    case RESIZE: {
      const size = parseResize(message.subarray(1));
      return size instanceof ChannelProtocolError ? size : { kind: 'resize', size };
    }
    case CLOSE:
      if (message.length !== 2 || message[1] !== STDIN) return new ChannelProtocolError('close message must be [255, 0]: only stdin can be closed');
      return { kind: 'close', message };
    default:
      return new ChannelProtocolError(message.length === 0 ? 'empty message: every message starts with a channel byte' : `channel ${message[0]} is not writable by ${sender}`);
  }
}
